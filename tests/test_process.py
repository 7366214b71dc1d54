"""freshrepl/process.py: the process plumbing both processes share."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from freshrepl.process import (
    describe_status,
    flush_stdio,
    kill,
    reap,
    reap_soon,
    receive_fds,
    send_fds,
)


def _child(code: str) -> int:
    return subprocess.Popen([sys.executable, "-c", code]).pid


def test_reap_collects_an_exited_child_and_tells_how_it_ended():
    pid = _child("raise SystemExit(3)")
    status = reap(pid, block=True)
    assert status is not None and describe_status(status) == "exit status 3"
    with pytest.raises(ChildProcessError):
        reap(pid)  # collected: no zombie left


def test_a_running_child_is_not_reaped_until_killed():
    pid = _child("import time; time.sleep(60)")
    assert reap(pid) is None and not reap_soon(pid)
    kill(pid)
    assert describe_status(reap(pid, block=True) or 0) == "SIGKILL"
    kill(pid)  # gone already: no error
    assert reap_soon(pid)  # not ours any more counts as gone


def test_descriptors_travel_with_a_message_and_arrive_not_inheritable():
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    read_end, write_end = os.pipe()
    try:
        send_fds(ours, b"hello", [write_end])
        data, fds = receive_fds(theirs, 1024, 4)
        assert data == b"hello" and len(fds) == 1
        assert not os.get_inheritable(fds[0])
        os.write(fds[0], b"!")
        assert os.read(read_end, 1) == b"!"
        os.close(fds[0])
        theirs.setblocking(False)
        with pytest.raises(BlockingIOError):
            receive_fds(theirs, 1024, 4)
    finally:
        for fd in (read_end, write_end):
            os.close(fd)
        ours.close()
        theirs.close()


def test_flush_stdio_survives_closed_and_missing_streams(monkeypatch):
    class Broken:
        def flush(self):
            raise ValueError("I/O operation on closed file")

    monkeypatch.setattr(sys, "stdout", Broken())
    monkeypatch.setattr(sys, "stderr", None)
    flush_stdio()


def test_a_death_by_signal_is_named():
    assert describe_status(signal.SIGSEGV) == "SIGSEGV"  # a raw wait status: signalled
