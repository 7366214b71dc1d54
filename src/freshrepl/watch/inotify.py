"""A change journal on Linux inotify, read synchronously: which watched names were touched.

watchdog tells the shell about changes from its own threads, a little later.
Right before an input runs the shell needs the opposite: a barrier that says,
now, which files were written.  The kernel queues an inotify event at the
moment of the write, so one non-blocking read of our own inotify instance
answers that for every watched directory at once, with no per-file ``stat``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct

_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_IN_MODIFY = 0x00000002
_IN_ATTRIB = 0x00000004
_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_FROM = 0x00000040
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100
_IN_DELETE = 0x00000200
_IN_DELETE_SELF = 0x00000400
_IN_MOVE_SELF = 0x00000800
_IN_Q_OVERFLOW = 0x00004000
_IN_IGNORED = 0x00008000
_IN_ONLYDIR = 0x01000000
_MASK = (
    _IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE
    | _IN_DELETE | _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_ONLYDIR
)
_HEADER = struct.Struct("iIII")


class Overflow(Exception):
    """Events were lost (queue overflow or a watched directory went away): look at everything."""


class ChangeJournal:
    """One inotify instance watching directories; ``drain()`` lists the paths touched."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        self._add_watch = libc.inotify_add_watch
        self._add_watch.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
        self._rm_watch = libc.inotify_rm_watch
        self._rm_watch.argtypes = (ctypes.c_int, ctypes.c_int)
        self.fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if self.fd < 0:
            raise _os_error()
        self._dirs: dict[int, str] = {}  # watch descriptor -> directory
        self._by_dir: dict[str, int] = {}

    def add_dir(self, directory: str) -> None:
        """Watch ``directory`` (non-recursive); raises OSError at the watch limit."""
        if directory in self._by_dir:
            return
        wd = self._add_watch(self.fd, os.fsencode(directory), _MASK)
        if wd < 0:
            raise _os_error()
        self._dirs[wd] = directory
        self._by_dir[directory] = wd

    def remove_dir(self, directory: str) -> None:
        wd = self._by_dir.pop(directory, None)
        if wd is not None:
            self._dirs.pop(wd, None)
            self._rm_watch(self.fd, wd)

    def drain(self) -> set[str]:
        """Paths named by the events queued so far; raises Overflow if some were lost."""
        touched: set[str] = set()
        lost = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except InterruptedError:
                continue
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
                name = data[offset + _HEADER.size : offset + _HEADER.size + length].rstrip(b"\0")
                offset += _HEADER.size + length
                directory = self._dirs.get(wd)
                if mask & _IN_IGNORED and directory is None:
                    continue  # the end of a watch we removed ourselves
                if mask & (_IN_Q_OVERFLOW | _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_IGNORED):
                    lost = True
                    continue
                if directory is not None and name:
                    touched.add(os.path.join(directory, os.fsdecode(name)))
        if lost:
            raise Overflow(touched)
        return touched

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _os_error() -> OSError:
    code = ctypes.get_errno() or errno.EIO
    return OSError(code, os.strerror(code))
