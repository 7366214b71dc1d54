"""Owns watching the user's source files and the set of those that may have changed (pending).

The shell hands us the source files of the user's modules; we watch their
directories (non-recursively, so editors that save by writing a temporary file
and renaming it over the original are seen) and keep a *pending* set of watched
files that may have changed.  We never decide whether the code changed: the
kernel compares the file with the text it loaded.  We only promise never to
miss a change, and try not to report the same change twice.

How a change is detected
------------------------
Every watched file has a recorded *signature*: ``(st_dev, st_ino, st_size,
st_mtime_ns, st_ctime_ns)`` from ``os.stat`` (``None`` when the file is
missing).  A file is reported when its signature differs from the recorded one.
A signature alone can miss a same-size edit made within one timestamp tick of
the recorded state (the kernel stamps files from a coarse clock; some
filesystems keep whole seconds), so, as git does for its index, a signature
whose ctime is younger than that (see ``_is_racy``) is *racy*: for those files
we also keep the bytes and compare content.  ctime cannot be set by tools (unlike mtime,
which ``touch -d`` or ``cp -p`` can set to anything), so once it is older than
that margin any later write must change it.

watchdog events (and the poller, when there are no events) only trigger that
comparison; they carry no meaning of their own.  This makes :meth:`Watcher.sync`
exact without knowing watchdog's internals: it simply compares the signature of
every watched file.

When ``on_change`` is called
-------------------------------
A file is pending as soon as a change is seen (so :meth:`Watcher.sync` and
:meth:`Watcher.take_pending` never lag), but the wake-up waits for the save to
settle: no event for ``_QUIET`` seconds and no watched file left open for
writing (a ``created``/``modified`` event not yet followed by ``closed``), or
``_MAX_DELAY`` after the first change, whichever comes first.  Otherwise the
shell could reload a file caught between an editor's truncate and its write
(an empty module: every function deleted), or report a file "deleted" between
the two halves of a rename-away-and-rewrite save.  On Linux saves end with a
``closed`` event, so the wake-up comes ``_QUIET`` after the save.

Locks, always taken in this order: ``_admin`` (watch/unwatch/stop, so observer
calls are serialised), watchdog's observer lock (held while it dispatches to
our handler), ``_lock`` (our state).  ``on_change`` is always called with no lock
of ours held.
"""

from __future__ import annotations

import errno
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Watcher"]

# How young a ctime must be for a later write to possibly leave it unchanged.
# Files are stamped from the kernel's coarse clock, which lags the real time by
# at most one tick (10 ms at the lowest HZ); exFAT keeps 10 ms.  A timestamp that
# is a whole second suggests a filesystem keeping seconds (FAT: 2 s).
_RACY_NS = 50_000_000
_RACY_WHOLE_SECONDS_NS = 3_000_000_000

# Events that cannot mean the file's content or identity changed; reading a
# file (the kernel does it to compare) produces them, so skip them cheaply.
_IGNORED_EVENT_TYPES = frozenset({"opened", "closed_no_write"})
# After these the writer may still have the file open (more bytes to come).
_WRITING_EVENT_TYPES = frozenset({"created", "modified"})

# Settling of on_change, in seconds (see the module docstring).  _MAX_DELAY
# keeps the wake-up inside its 50 ms budget where no "closed" event exists
# (macOS, Windows, watchdog's polling observer).
_QUIET = 0.010
_MAX_DELAY = 0.040

# OSErrors from watchdog that mean "this directory cannot be watched" rather
# than "the event machinery is out of resources".
_PER_DIR_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM})

_Signature = tuple[int, int, int, int, int]


def _signature(path: str) -> _Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _is_racy(sig: _Signature | None) -> bool:
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

    def __init__(self, path: str, file: str) -> None:
        self.path = path  # as the caller spelled it: that is what we report
        self.file = file  # absolute: what we stat and read
        self.sig: _Signature | None = None
        self.content: bytes | None = None  # kept only while ``sig`` is racy
        self.dirs: tuple[str, ...] = ()  # directories whose events concern it
        self.event_paths: tuple[str, ...] = ()  # its paths as events spell them

    def record(self, sig: _Signature | None) -> None:
        """Take ``sig`` (just read from the file) as the seen state."""
        if not _is_racy(sig):
            self.sig, self.content = sig, None
            return
        # Read the bytes *before* the stat we keep: a write landing between
        # the two then makes the file differ from the kept bytes and is
        # reported later, whereas the other order could hide it for good.
        content = _read(self.file)
        self.sig = _signature(self.file)
        self.content = content if self.sig is not None else None

    def changed(self) -> bool:
        """Compare the file with the recorded state; record the new state if it differs."""
        sig = _signature(self.file)
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


class _Handler:
    """watchdog event handler (duck-typed: the observer only calls ``dispatch``)."""

    def __init__(self, watcher: Watcher) -> None:
        self._watcher = watcher

    def dispatch(self, event: Any) -> None:
        if event.event_type in _IGNORED_EVENT_TYPES:
            return
        src = os.fsdecode(event.src_path)
        dest = os.fsdecode(getattr(event, "dest_path", "") or "")
        self._watcher._on_event(src, dest, event.event_type, event.is_directory)


class Watcher:
    """Watch source files; collect the ones that may have changed.

    ``on_change`` is called (no arguments, from the ``freshrepl-notify``
    thread) once the pending set has gone from empty to non-empty and the save
    has settled, unless the pending set was taken meanwhile; it must be cheap
    and thread-safe.  Nothing is started, and watchdog is not imported, until
    the first :meth:`watch`.  ``polling=True`` skips watchdog and polls every
    :attr:`poll_interval` seconds.
    """

    #: Seconds between two looks at the files when we have no events for them.
    poll_interval: float = 0.5

    def __init__(self, on_change: Callable[[], None], *, polling: bool = False) -> None:
        self.notice: str | None = None
        self._on_change = on_change
        self._force_polling = polling
        self._admin = threading.Lock()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # wakes the notifier
        self._entries: dict[str, _Entry] = {}  # normalised path -> entry
        self._by_event_path: dict[str, set[str]] = {}  # path in an event -> keys
        self._dir_keys: dict[str, set[str]] = {}  # watched directory -> keys
        self._dir_watches: dict[str, Any] = {}  # watched directory -> ObservedWatch
        self._dead_watches: dict[str, Any] = {}  # ... whose directory was deleted
        self._polled: set[str] = set()  # keys no event will tell us about
        self._pending: set[str] = set()  # caller's spellings
        self._batch_start: float | None = None  # first change not yet announced
        self._last_event = 0.0  # monotonic time of the last event for a watched file
        self._writing: set[str] = set()  # keys possibly still open for writing
        self._notifier: threading.Thread | None = None
        self._observer: Any = None
        self._handler = _Handler(self)
        self._polling_all = False
        self._poller: threading.Thread | None = None
        self._stopping = threading.Event()
        self._stopped = False
        # Linux: our own inotify instance, read synchronously by sync().
        self._journal: Any = None
        self._journal_tried = False

    # -- public API ---------------------------------------------------------

    def watch(self, paths: Iterable[str]) -> None:
        """Add files (absolute paths) to the watched set; already watched ones are skipped."""
        with self._admin:
            if self._stopped:
                return
            new: list[str] = []
            with self._lock:
                for path in paths:
                    key = os.path.abspath(path)
                    if key in self._entries:
                        continue
                    entry = _Entry(path, key)
                    # Record before the directory is watched, then look again
                    # after: a write in between is seen by that second look.
                    entry.record(_signature(key))
                    # The real file's directory too: an edit through a
                    # symlink target produces no event in the link's directory.
                    entry.event_paths = tuple(dict.fromkeys((key, os.path.realpath(key))))
                    entry.dirs = tuple(dict.fromkeys(os.path.dirname(p) for p in entry.event_paths))
                    self._entries[key] = entry
                    for event_path in entry.event_paths:
                        self._by_event_path.setdefault(event_path, set()).add(key)
                    new.append(key)
            if not new:
                return
            if self._notifier is None:
                self._notifier = threading.Thread(
                    target=self._notify_loop, name="freshrepl-notify", daemon=True
                )
                self._notifier.start()
            self._journal_dirs(new)
            self._start_dir_watches(new)
            with self._lock:
                for key in new:
                    entry = self._entries[key]
                    if entry.changed():
                        self._add_pending(entry)

    def unwatch(self, paths: Iterable[str]) -> None:
        """Stop watching these files; a directory with no watched file left is dropped."""
        with self._admin:
            dropped: list[Any] = []
            with self._lock:
                for path in paths:
                    key = os.path.abspath(path)
                    entry = self._entries.pop(key, None)
                    if entry is None:
                        continue
                    self._pending.discard(entry.path)
                    self._polled.discard(key)
                    self._writing.discard(key)
                    for event_path in entry.event_paths:
                        keys = self._by_event_path.get(event_path)
                        if keys is not None:
                            keys.discard(key)
                            if not keys:
                                del self._by_event_path[event_path]
                    for d in entry.dirs:
                        keys = self._dir_keys.get(d)
                        if keys is None:
                            continue
                        keys.discard(key)
                        if not keys:
                            del self._dir_keys[d]
                            if self._journal is not None:
                                self._journal.remove_dir(d)
                            for watches in (self._dir_watches, self._dead_watches):
                                w = watches.pop(d, None)
                                if w is not None:
                                    dropped.append(w)
            # Outside our lock: unschedule takes the observer's lock, which is
            # held while the observer calls our handler (which takes ours).
            for w in dropped:
                try:
                    self._observer.unschedule(w)
                except Exception:
                    pass  # an emitter that already died (its directory was deleted)

    def watched(self) -> set[str]:
        """The watched files, as the caller spelled them."""
        with self._lock:
            return {e.path for e in self._entries.values()}

    def take_pending(self) -> set[str]:
        """The files that may have changed since the last call; clears the set."""
        with self._lock:
            pending, self._pending = self._pending, set()
        return pending

    def has_pending(self) -> bool:
        """Whether :meth:`take_pending` would return something now."""
        with self._lock:
            return bool(self._pending)

    def sync(self, timeout: float = 0.1) -> None:
        """Barrier: every write to a watched file completed before this call is now pending.

        Compares each watched file's signature (and the bytes of racy ones)
        with the recorded state, so it does not depend on when watchdog's
        threads deliver the events already queued: one ``stat`` per file, no
        waiting.  ``timeout`` is accepted for the interface's sake; nothing
        here waits.  Does not call ``on_change``: the caller is about to look
        at the pending set anyway.
        """
        del timeout
        with self._lock:
            for entry in self._suspects():
                if entry.changed():
                    self._pending.add(entry.path)

    def _suspects(self) -> Iterable[_Entry]:
        """The entries a write may have touched: from the journal, else all of them."""
        if self._journal is None:
            return list(self._entries.values())
        from freshrepl.watch.inotify import Overflow

        try:
            touched = self._journal.drain()
        except Overflow:
            # Events were lost, or a watched directory went away (its watch is
            # gone; a re-created one would be silent): trust only the stat
            # sweep from now on.
            self._journal.close()
            self._journal = None
            return list(self._entries.values())
        keys = {key for path in touched for key in self._by_event_path.get(path, ())}
        return [self._entries[key] for key in keys if key in self._entries]

    def _journal_dirs(self, keys: list[str]) -> None:
        """Add the directories of new entries to the journal (Linux); on failure, drop it."""
        if not self._journal_tried:
            self._journal_tried = True
            if sys.platform.startswith("linux"):
                try:
                    from freshrepl.watch.inotify import ChangeJournal

                    self._journal = ChangeJournal()
                except (OSError, AttributeError):
                    self._journal = None
        if self._journal is None:
            return
        try:
            for key in keys:
                for directory in self._entries[key].dirs:
                    self._journal.add_dir(directory)
        except OSError:
            # Watch limit or a vanished directory: sync() falls back to a stat per file.
            self._journal.close()
            self._journal = None

    def stop(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self._stop_threads()

    def _stop_threads(self) -> None:
        """Stop the observer and the poller; quick, and leaves only daemon threads behind."""
        with self._admin:
            if self._stopped:
                return
            self._stopped = True
            self._stopping.set()
            observer, self._observer = self._observer, None
            with self._lock:
                self._dir_watches.clear()
                self._dead_watches.clear()
                self._cond.notify_all()
        if observer is not None:
            _stop_observer(observer)
        for thread in (self._poller, self._notifier):
            # Not when on_change itself calls stop(): a thread cannot join itself.
            if thread is not None and thread is not threading.current_thread():
                thread.join(1.0)

    # -- internals ----------------------------------------------------------

    def _add_pending(self, entry: _Entry) -> None:
        """Under ``_lock``: add to pending; an empty set becoming non-empty is to be announced."""
        if not self._pending and self._batch_start is None:
            self._batch_start = time.monotonic()
            self._cond.notify()
        self._pending.add(entry.path)

    def _notify_loop(self) -> None:
        """The notifier thread: call on_change once each batch of changes has settled."""
        with self._cond:
            while not self._stopping.is_set():
                start = self._batch_start
                if start is None:
                    self._cond.wait()
                    continue
                due = start + _MAX_DELAY
                if not self._writing:
                    due = min(due, self._last_event + _QUIET)
                delay = due - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                self._batch_start = None
                # A file left open for good (or a watchdog without "closed"
                # events) must not hold up every later batch as well.
                self._writing.clear()
                if not self._pending:
                    continue  # taken (e.g. by sync before an input) meanwhile
                self._lock.release()
                try:
                    self._on_change()
                except Exception:
                    pass  # the shell's bug must not end notifications; the change stays pending
                finally:
                    self._lock.acquire()

    def _on_event(self, src: str, dest: str, event_type: str, is_directory: bool) -> None:
        with self._lock:
            for p in (src, dest):
                keys = self._by_event_path.get(p, ()) if p else ()
                for key in keys:
                    self._last_event = time.monotonic()
                    if event_type in _WRITING_EVENT_TYPES and p == src:
                        self._writing.add(key)
                    else:
                        self._writing.discard(key)
                    entry = self._entries[key]
                    if entry.changed():
                        self._add_pending(entry)
                if keys and self._batch_start is not None:
                    # A later event pushes the settling deadline back.
                    self._cond.notify()
                if is_directory and event_type == "deleted" and p in self._dir_keys:
                    # A deleted directory's watch is gone for good: its files,
                    # if they come back, are only seen by polling, and the
                    # next watch() of a file there unschedules the dead watch
                    # (watchdog would reuse it) and watches the directory anew.
                    w = self._dir_watches.pop(p, None)
                    if w is not None:
                        self._dead_watches[p] = w
                    for key in self._dir_keys[p]:
                        entry = self._entries[key]
                        if entry.changed():
                            self._add_pending(entry)
                        self._polled.add(key)
                    self._ensure_poller()

    def _start_dir_watches(self, keys: list[str]) -> None:
        """Under ``_admin``: watch the directories of these new keys."""
        with self._lock:
            todo: list[str] = []
            for key in keys:
                for d in self._entries[key].dirs:
                    self._dir_keys.setdefault(d, set()).add(key)
                    if d not in self._dir_watches and d not in todo:
                        todo.append(d)
            if self._force_polling:
                self._polling_all = True
            if self._polling_all:
                self._polled.update(keys)
                self._ensure_poller()
                return
        if self._observer is None and not self._start_observer():
            return
        for d in todo:
            with self._lock:
                dead = self._dead_watches.pop(d, None)
            if dead is not None:
                try:
                    self._observer.unschedule(dead)
                except Exception:
                    pass  # already gone; all we need is that it is not reused
            try:
                w = self._observer.schedule(self._handler, d, recursive=False)
            except OSError as exc:
                if exc.errno in _PER_DIR_ERRNOS:
                    # This directory cannot be watched (gone, not ours): poll
                    # just its files, quietly.
                    with self._lock:
                        self._polled.update(self._dir_keys.get(d, ()))
                        self._ensure_poller()
                    continue
                self._fall_back(_limit_reason(exc))
                return
            with self._lock:
                self._dir_watches[d] = w

    def _start_observer(self) -> bool:
        """Under ``_admin``: import watchdog and start its observer; fall back to polling on failure."""
        try:
            from watchdog.observers import Observer
        except ImportError:
            self._fall_back("watchdog is not installed")
            return False
        try:
            observer = Observer()
            observer.start()
        except OSError as exc:
            self._fall_back(_limit_reason(exc))
            return False
        except Exception as exc:  # whatever stops it from starting, polling still works
            self._fall_back(f"file watching failed to start ({exc})")
            return False
        self._observer = observer
        return True

    def _fall_back(self, reason: str) -> None:
        """Under ``_admin``: give up on events, poll every watched file, say so once."""
        observer, self._observer = self._observer, None
        with self._lock:
            self._dir_watches.clear()
            self._dead_watches.clear()
            self._polling_all = True
            self._polled.update(self._entries)
            if self.notice is None:
                self.notice = f"{reason}; polling for changes every {self.poll_interval:g} s"
            self._ensure_poller()
        if observer is not None:
            _stop_observer(observer)

    def _ensure_poller(self) -> None:
        """Under ``_lock``: start the poll thread if something needs it."""
        if self._poller is not None or not self._polled or self._stopping.is_set():
            return
        self._poller = threading.Thread(target=self._poll_loop, name="freshrepl-poll", daemon=True)
        self._poller.start()

    def _poll_loop(self) -> None:
        while not self._stopping.wait(self.poll_interval):
            with self._lock:
                for key in list(self._polled):
                    entry = self._entries.get(key)
                    if entry is not None and entry.changed():
                        self._last_event = time.monotonic()
                        self._add_pending(entry)


def _limit_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "inotify watch limit reached"
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        return "inotify instance limit reached"
    return f"file watching unavailable ({exc.strerror or exc})"


def _stop_observer(observer: Any) -> None:
    try:
        observer.stop()
        # watchdog's threads are daemon threads, so a slow join cannot block
        # interpreter exit; do not let it block the shell either.
        observer.join(1.0)
    except Exception:
        pass  # a half-started observer; its threads are daemons either way
