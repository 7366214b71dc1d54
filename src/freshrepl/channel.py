"""The shell-kernel channel: length-framed pickles over one socket (both processes use it).

The frames are those of ``multiprocessing.connection.Connection`` (a 4-byte
big-endian signed length, or -1 and an 8-byte length from 2 GiB on, then the
pickle), without importing multiprocessing (``socket``, ``tempfile``, ...),
which cost both processes several milliseconds before the first input could
run.  Messages are plain dicts (see ``protocol.py``).
"""

from __future__ import annotations

import os
import select

TYPE_CHECKING = False  # typing costs both processes start-up time
if TYPE_CHECKING:
    from typing import Any

try:
    from _pickle import dumps, loads  # the C pickler, without pickle.py's imports
except ImportError:  # pragma: no cover - other implementations
    from pickle import dumps, loads

_LONG = -1  # the length field that announces an 8-byte length
_COPY_BELOW = 1 << 16  # smaller messages go out in one write


class Channel:
    """One end of the channel, owning the file descriptor ``fd``."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def fileno(self) -> int:
        return self._handle()

    def send(self, message: Any) -> None:
        data = dumps(message)
        if len(data) >= 0x7FFFFFFF:
            header = _LONG.to_bytes(4, "big", signed=True) + len(data).to_bytes(8, "big")
        else:
            header = len(data).to_bytes(4, "big", signed=True)
        if len(data) < _COPY_BELOW:
            self._write(header + data)  # one write: the reader wakes once
        else:  # a big reply is not copied once more
            self._write(header)
            self._write(data)

    def _write(self, data: bytes) -> None:
        write_all(self._handle(), data)

    def recv(self) -> Any:
        """The next message; EOFError once the other end has closed."""
        size = int.from_bytes(self._read(4), "big", signed=True)
        if size == _LONG:
            size = int.from_bytes(self._read(8), "big")
        return loads(self._read(size))

    def poll(self, timeout: float | None = 0.0) -> bool:
        """Is a message (or the end of the channel) waiting? Waits up to ``timeout`` seconds."""
        readable, _, _ = select.select([self._handle()], [], [], timeout)
        return bool(readable)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def _read(self, size: int) -> bytes:
        parts, missing = [], size
        while missing:
            chunk = os.read(self._handle(), missing)
            if not chunk:
                raise EOFError("the channel was closed")
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    def _handle(self) -> int:
        if self._fd is None:
            raise OSError("the channel is closed")
        return self._fd


def write_all(fd: int, data: bytes) -> None:
    """All of ``data`` to ``fd``: ``os.write`` may take only part of it."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
