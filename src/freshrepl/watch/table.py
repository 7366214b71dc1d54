"""Owns the watched files: their recorded signatures and which of them changed (thread-free).

The table knows every watched file under two names (as the caller spelled it,
which is what we report, and the absolute path, its *key*, which is what we
stat), the paths under which events name it, and the directories whose events
concern it.  It keeps the *pending* set: the watched files that may have
changed since the caller last took it.  It never decides whether the code
changed (the kernel compares the file with the text it loaded); it only
promises never to miss a change, and tries not to report one twice.

It has no threads and no locks: the watcher serialises calls.

How a change is detected
------------------------
Every watched file has a recorded *signature*: ``(st_dev, st_ino, st_size,
st_mtime_ns, st_ctime_ns)`` from ``os.stat`` (``None`` when the file is
missing).  A file is changed when its signature differs from the recorded one.
A signature alone can miss a same-size edit made within one timestamp tick of
the recorded state (the kernel stamps files from a coarse clock; some
filesystems keep whole seconds), so, as git does for its index, a signature
whose ctime is younger than that (see ``_is_racy``) is *racy*: for those files
we also keep the bytes and compare content.  ctime cannot be set by tools
(unlike mtime, which ``touch -d`` or ``cp -p`` can set to anything), so once it
is older than that margin any later write must change it.

Events only say which files to look at (:meth:`FileTable.refresh`); they carry
no meaning of their own.  This keeps the barrier exact without knowing any
event source's internals: look again at every file a write may have touched.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

__all__ = ["FileTable", "Signature", "signature"]

# How young a ctime must be for a later write to possibly leave it unchanged.
# Files are stamped from the kernel's coarse clock, which lags the real time by
# at most one tick (10 ms at the lowest HZ); exFAT keeps 10 ms.  A timestamp that
# is a whole second suggests a filesystem keeping seconds (FAT: 2 s).
_RACY_NS = 50_000_000
_RACY_WHOLE_SECONDS_NS = 3_000_000_000

Signature = tuple[int, int, int, int, int]


def signature(path: str) -> Signature | None:
    """The file's identity, size and timestamps; ``None`` when it cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _is_racy(sig: Signature | None) -> bool:
    if sig is None:
        return False
    ctime = sig[4]
    margin = _RACY_WHOLE_SECONDS_NS if ctime % 1_000_000_000 == 0 else _RACY_NS
    return ctime > time.time_ns() - margin


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


class _Entry:
    """What we last reported (or first saw) for one watched file."""

    __slots__ = ("path", "file", "sig", "content", "dirs", "event_paths")

    def __init__(self, path: str, file: str, real_dirs: dict[str, str] | None = None) -> None:
        self.path = path  # as the caller spelled it: that is what we report
        self.file = file  # absolute: what we stat and read
        self.sig: Signature | None = None
        self.content: bytes | None = None  # kept only while ``sig`` is racy
        # Its paths as events spell them, and the directories whose events
        # concern it: the real file's too, since an edit through a symlink's
        # target produces no event in the link's directory.
        real = _real_path(file, {} if real_dirs is None else real_dirs)
        self.event_paths = tuple(dict.fromkeys((file, real)))
        self.dirs = tuple(dict.fromkeys(os.path.dirname(p) for p in self.event_paths))

    def record(self, sig: Signature | None) -> None:
        """Take ``sig`` (just read from the file) as the seen state."""
        if not _is_racy(sig):
            self.sig, self.content = sig, None
            return
        # Read the bytes *before* the stat we keep: a write landing between
        # the two then makes the file differ from the kept bytes and is
        # reported later, whereas the other order could hide it for good.
        content = _read(self.file)
        self.sig = signature(self.file)
        self.content = content if self.sig is not None else None

    def changed(self) -> bool:
        """Compare the file with the recorded state; record the new state if it differs."""
        sig = signature(self.file)
        if sig != self.sig:
            self.record(sig)
            return True
        if self.content is None:
            return False
        # Same signature but recorded within a tick of a possible write:
        # only the bytes can tell.
        content = _read(self.file)
        if content != self.content:
            self.record(sig)
            return True
        if not _is_racy(sig):
            # Now old enough that any future write changes the ctime.
            self.content = None
        return False


class FileTable:
    """The watched files, indexed by key, by event path and by directory; and the pending set."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}  # key (absolute path) -> entry
        self._by_event_path: dict[str, set[str]] = {}  # path in an event -> keys
        self._by_dir: dict[str, set[str]] = {}  # watched directory -> keys
        self._pending: set[str] = set()  # caller's spellings

    # -- the set of files ---------------------------------------------------

    def add_all(self, paths: Iterable[str]) -> list[str]:
        """``add`` each path; the keys of those newly tracked."""
        real_dirs: dict[str, str] = {}  # a batch's files mostly share their directories
        return [key for key in (self.add(path, real_dirs) for path in paths) if key is not None]

    def add(self, path: str, real_dirs: dict[str, str] | None = None) -> str | None:
        """Start tracking ``path`` and record its state now; its key, or None if already tracked.

        ``real_dirs``: directories already resolved (``realpath``) in this batch.
        """
        key = os.path.abspath(path)
        if key in self._entries:
            return None
        entry = _Entry(path, key, real_dirs)
        # The caller records before it watches the directory and refreshes
        # after: a write in between is seen by that second look.
        entry.record(signature(key))
        self._entries[key] = entry
        for event_path in entry.event_paths:
            self._by_event_path.setdefault(event_path, set()).add(key)
        for d in entry.dirs:
            self._by_dir.setdefault(d, set()).add(key)
        return key

    def remove(self, path: str) -> tuple[str, list[str]] | None:
        """Stop tracking ``path`` (and drop it from pending).

        Returns its key and the directories no tracked file is left in, or
        None if it was not tracked.
        """
        key = os.path.abspath(path)
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self._pending.discard(entry.path)
        for event_path in entry.event_paths:
            _discard(self._by_event_path, event_path, key)
        emptied = [d for d in entry.dirs if _discard(self._by_dir, d, key)]
        return key, emptied

    def paths(self) -> set[str]:
        """The tracked files, as the caller spelled them."""
        return {e.path for e in self._entries.values()}

    def keys(self) -> list[str]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    # -- lookups ------------------------------------------------------------

    def dirs_of(self, keys: Iterable[str]) -> list[str]:
        """The directories whose events concern these files, each once, in order."""
        return list(dict.fromkeys(d for key in keys for d in self._entries[key].dirs))

    def all_dirs(self) -> list[str]:
        return list(self._by_dir)

    def is_dir(self, directory: str) -> bool:
        """Whether some tracked file's events come from ``directory``."""
        return directory in self._by_dir

    def keys_in(self, directories: Iterable[str]) -> set[str]:
        """The tracked files whose events come from these directories."""
        return {key for d in directories for key in self._by_dir.get(d, ())}

    def keys_named(self, event_paths: Iterable[str]) -> set[str]:
        """The tracked files that these paths (as events spell them) may be."""
        return {key for p in event_paths for key in self._by_event_path.get(p, ())}

    # -- changes ------------------------------------------------------------

    def refresh(self, keys: Iterable[str]) -> list[str]:
        """Look at these files again; those that changed join pending and are returned."""
        changed = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and entry.changed():
                self._pending.add(entry.path)
                changed.append(key)
        return changed

    def has_pending(self) -> bool:
        return bool(self._pending)

    def take_pending(self) -> set[str]:
        """The files that may have changed since the last call; clears the set."""
        pending, self._pending = self._pending, set()
        return pending


def _real_path(file: str, real_dirs: dict[str, str]) -> str:
    """``os.path.realpath(file)`` for an absolute ``file``, its directory resolved once per batch."""
    directory, name = os.path.split(file)
    real_dir = real_dirs.get(directory)
    if real_dir is None:
        real_dir = real_dirs[directory] = os.path.realpath(directory)
    candidate = os.path.join(real_dir, name)
    return os.path.realpath(candidate) if os.path.islink(candidate) else candidate


def _discard(index: dict[str, set[str]], name: str, key: str) -> bool:
    """Drop ``key`` from ``index[name]``; True if that left ``name`` with no key (it is removed)."""
    keys = index.get(name)
    if keys is None:
        return False
    keys.discard(key)
    if keys:
        return False
    del index[name]
    return True
