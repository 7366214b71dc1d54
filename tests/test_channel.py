"""channel.py: length-framed pickles over a socket, small and large, and the end of the channel."""

from __future__ import annotations

import socket
import threading

import pytest

from freshrepl.channel import Channel


@pytest.fixture
def pair():
    left, right = socket.socketpair()
    ends = Channel(left.detach()), Channel(right.detach())
    yield ends
    for end in ends:
        end.close()


@pytest.mark.parametrize("size", [0, 10, (1 << 16) - 100, 1 << 16, 3 << 20])
def test_messages_of_every_size_arrive_whole(pair, size):
    sender, receiver = pair
    message = {"op": "run", "added": {f"m{i}": "x" * 50 for i in range(size // 60)}, "pad": "y" * size}
    # A message bigger than the socket's buffer needs a reader while it is written.
    writer = threading.Thread(target=sender.send, args=(message,))
    writer.start()
    assert receiver.recv() == message
    writer.join(timeout=10)
    assert not writer.is_alive()


def test_several_messages_keep_their_order(pair):
    sender, receiver = pair
    for i in range(3):
        sender.send({"id": i})
    assert [receiver.recv()["id"] for _ in range(3)] == [0, 1, 2]
    assert not receiver.poll(0)


def test_a_closed_end_reads_as_eof(pair):
    sender, receiver = pair
    sender.close()
    with pytest.raises(EOFError):
        receiver.recv()
    with pytest.raises(OSError):
        sender.send({"op": "late"})
