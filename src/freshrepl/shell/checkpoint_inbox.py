"""The checkpoint messages a kernel sends unasked (``CheckpointTaken``, ``CheckpointSkipped``).

With checkpoints on, each kernel gets a second socketpair besides its request
channel: it sends on it, unasked, the moment it takes a checkpoint (with the
checkpoint's control socket and the listing of its files attached) or must
skip one.  The shell's end never blocks the kernel and is read between
requests (``take``).
"""

from __future__ import annotations

import _socket  # the C sockets: socket.py's enums cost the spawn a few ms
import os

from freshrepl import protocol
from freshrepl.process import receive_fds

_MAX_FDS = 4  # descriptors one message may carry
# A message is a few hundred bytes (a longer one is cut, fails to decode and is dropped).
# A buffer of 1 MiB or more is mapped and unmapped at every read: 0.1 ms on the way
# from an input's result to the next prompt.
_MAX_PACKET = 1 << 16


class CheckpointInbox:
    """The shell's end of one kernel's checkpoint messages, and those read but not yet taken."""

    def __init__(self) -> None:
        self.sock: _socket.socket | None = None
        self._read: list[tuple[protocol.Checkpointing, list[int]]] = []

    def open(self) -> _socket.socket:
        """A fresh channel for the next kernel; returns the kernel's end (close it once passed)."""
        self.close()
        self.sock, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        self.sock.setblocking(False)
        return theirs

    def adopt(self, sock: _socket.socket) -> None:
        """Read ``sock`` from now on (the forked first kernel's, made before the shell knew)."""
        self.close()
        self.sock = sock

    def take(self) -> list[tuple[protocol.Checkpointing, list[int]]]:
        """The messages sent since last asked, each with its attached fds."""
        self._drain()
        taken, self._read = self._read, []
        return taken

    def drop(self) -> None:
        """Forget the messages not taken yet (their checkpoints exit: nobody holds them)."""
        for _message, fds in self.take():
            for fd in fds:
                os.close(fd)

    def close(self) -> None:
        if self.sock is not None:
            self._drain()  # the last ones may have been sent just before a crash
            self.sock.close()
            self.sock = None

    def _drain(self) -> None:
        while self.sock is not None:
            try:
                data, fds = receive_fds(self.sock, _MAX_PACKET, _MAX_FDS)  # type: ignore[arg-type]
            except OSError:  # nothing more to read now (BlockingIOError), or broken
                return
            if not data:
                return  # the kernel's end is closed and everything was read
            try:
                self._read.append((protocol.decode_packet(data), fds))
            except ValueError:
                for fd in fds:
                    os.close(fd)
