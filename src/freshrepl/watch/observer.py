"""Owns the watchdog event source: one non-recursive watch per directory, events to a callback.

watchdog is imported when the first directory is added, not before (the
shell starts faster without it).  Its events reach ``on_event`` from
watchdog's thread, with the observer's lock held, as :class:`FileEvent`: the
paths it names and what the settle rule needs to know.

A directory that cannot be watched (missing, not ours) is handed back to the
caller to poll; running out of inotify watches or instances, or watchdog
failing to start, raises :class:`~freshrepl.watch.source.SourceFailed` with a
reason fit for the user, after the source has closed itself.  A deleted
directory's watch is dead for good: watchdog would hand the same dead watch
back if the directory were scheduled again, so the next :meth:`add_dirs` of
it unschedules the dead one first.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from freshrepl.watch.source import SourceFailed

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers.api import BaseObserver, ObservedWatch

__all__ = ["FileEvent", "WatchdogSource"]

# Events that cannot mean the file's content or identity changed; reading a
# file (the kernel does it to compare) produces them, so skip them cheaply.
_IGNORED_EVENT_TYPES = frozenset({"opened", "closed_no_write"})
# After these the writer may still have the file open (more bytes to come).
_WRITING_EVENT_TYPES = frozenset({"created", "modified"})
# After this the file's content is whole: its writer closed it.
_COMPLETE_EVENT_TYPE = "closed"

# OSErrors from watchdog that mean "this directory cannot be watched" rather
# than "the event machinery is out of resources".
_PER_DIR_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM})


@dataclass(frozen=True)
class FileEvent:
    """One watchdog event, as the watcher needs it."""

    src: str
    dest: str = ""  # the new name, for a move
    writing: bool = False  # ``src`` may still be open for writing (created, modified)
    closed: bool = False  # ``src`` was closed after writing: its content is whole
    dir_deleted: bool = False  # ``src`` is a directory that was deleted


class WatchdogSource:
    """A watchdog observer; ``on_event`` gets its events from watchdog's thread."""

    def __init__(self, on_event: Callable[[FileEvent], None]) -> None:
        self._on_event = on_event
        self._observer: BaseObserver | None = None
        # A leaf lock: the watch tables are changed both by the caller and,
        # for a deleted directory, by watchdog's thread.
        self._lock = threading.Lock()
        self._watches: dict[str, ObservedWatch] = {}  # directory -> its live watch
        self._dead: dict[str, ObservedWatch] = {}  # directory deleted -> its ended watch

    @property
    def directories(self) -> set[str]:
        """The directories with a live watch."""
        with self._lock:
            return set(self._watches)

    def add_dirs(self, directories: Sequence[str]) -> list[str]:
        observer = self._observer or self._start()
        uncovered = []
        for d in directories:
            with self._lock:
                if d in self._watches:
                    continue
                dead = self._dead.pop(d, None)
            if dead is not None:
                _unschedule(observer, dead)
            try:
                watch = observer.schedule(cast("FileSystemEventHandler", self), d, recursive=False)
            except OSError as exc:
                if exc.errno in _PER_DIR_ERRNOS:
                    uncovered.append(d)
                    continue
                self.close()
                raise SourceFailed(_limit_reason(exc)) from exc
            with self._lock:
                self._watches[d] = watch
        return uncovered

    def remove_dirs(self, directories: Iterable[str]) -> None:
        """Unschedule the watches.

        The caller must not hold a lock that ``on_event`` takes: watchdog holds
        its own lock while it calls us, and unscheduling takes it.
        """
        with self._lock:
            popped = [(self._watches.pop(d, None), self._dead.pop(d, None)) for d in directories]
        dropped = [w for pair in popped for w in pair if w is not None]
        if self._observer is not None:
            for w in dropped:
                _unschedule(self._observer, w)

    def close(self) -> None:
        """Stop the observer: quick, and leaves only daemon threads behind."""
        with self._lock:
            self._watches.clear()
            self._dead.clear()
        observer, self._observer = self._observer, None
        if observer is None:
            return
        try:
            observer.stop()
            # watchdog's threads are daemon threads, so a slow join cannot block
            # interpreter exit; do not let it block the shell either.
            observer.join(1.0)
        except Exception:
            pass  # a half-started observer; its threads are daemons either way

    def dispatch(self, event: FileSystemEvent) -> None:
        """Called by the observer (we stand in for a ``FileSystemEventHandler``)."""
        kind = event.event_type
        if kind in _IGNORED_EVENT_TYPES:
            return
        src = os.fsdecode(event.src_path)
        dir_deleted = event.is_directory and kind == "deleted"
        if dir_deleted:
            with self._lock:
                watch = self._watches.pop(src, None)
                if watch is not None:
                    self._dead[src] = watch
        self._on_event(FileEvent(
            src=src,
            dest=os.fsdecode(getattr(event, "dest_path", "") or ""),
            writing=kind in _WRITING_EVENT_TYPES,
            closed=kind == _COMPLETE_EVENT_TYPE,
            dir_deleted=dir_deleted,
        ))

    def _start(self) -> BaseObserver:
        try:
            from watchdog.observers import Observer
        except ImportError as exc:
            raise SourceFailed("watchdog is not installed") from exc
        _quiet_watchdog_log()
        try:
            observer = Observer()
            observer.start()
        except OSError as exc:
            raise SourceFailed(_limit_reason(exc)) from exc
        except Exception as exc:  # whatever stops it from starting, polling still works
            raise SourceFailed(f"file watching failed to start ({exc})") from exc
        self._observer = observer
        return observer


def _quiet_watchdog_log() -> None:
    """Keep watchdog's own log lines off the user's terminal.

    The shell configures no logging, so Python would print watchdog's warnings
    (e.g. an emitter stopping at exit) on stderr; failures reach us as exceptions.
    """
    import logging

    logger = logging.getLogger("watchdog")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _unschedule(observer: BaseObserver, watch: ObservedWatch) -> None:
    try:
        observer.unschedule(watch)
    except Exception:
        pass  # an emitter that already died (its directory was deleted)


def _limit_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "inotify watch limit reached"
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        return "inotify instance limit reached"
    return f"file watching unavailable ({exc.strerror or exc})"
