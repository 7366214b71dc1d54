"""Owns the shell's file watcher: the file table, the settle rule and the event sources, composed.

The shell hands us the source files of the user's modules and asks, before
each input, which of them may have changed.  The parts, one job each:

- :mod:`~freshrepl.watch.table` — the watched files, their recorded state and
  the *pending* set (what changed is decided there, by looking at the file);
- :mod:`~freshrepl.watch.settle` — when ``on_change`` wakes the shell (once a
  save has settled);
- the event sources (:mod:`~freshrepl.watch.source`), which only say which
  files to look at: watchdog (:mod:`~freshrepl.watch.observer`), or polling
  (:mod:`~freshrepl.watch.poller`) where watchdog cannot run or a directory
  cannot be watched; and on Linux the inotify journal
  (:mod:`~freshrepl.watch.journal`), which :meth:`Watcher.sync` drains so that
  the barrier before each input costs microseconds, not a ``stat`` per file.

Locks, always taken in this order: ``_admin`` (watch/unwatch/stop, so observer
calls are serialised), watchdog's observer lock (held while it dispatches to
us), ``_lock`` (the table, the settler, the journal; the notifier's condition
is on it), then the sources' own leaf locks.  ``on_change`` is always called
with no lock of ours held.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from freshrepl.watch.journal import JournalSource
from freshrepl.watch.observer import FileEvent, WatchdogSource
from freshrepl.watch.poller import PollSource
from freshrepl.watch.settle import Notifier, Settler
from freshrepl.watch.source import SourceFailed
from freshrepl.watch.table import FileTable

__all__ = ["Watcher"]


class Watcher:
    """Watch source files; collect the ones that may have changed.

    ``on_change`` is called (no arguments, from the ``freshrepl-notify``
    thread) once the pending set has gone from empty to non-empty and the save
    has settled, unless the pending set was taken meanwhile; it must be cheap
    and thread-safe.  Nothing is started, and watchdog is not imported, until
    the first :meth:`watch`.  ``polling=True`` skips watchdog and polls every
    :attr:`poll_interval` seconds.  :attr:`fallback_warning` says, once, why we fell back
    to polling (the shell shows it and sets it back to None).
    """

    def __init__(self, on_change: Callable[[], None], *, polling: bool = False) -> None:
        self.fallback_warning: str | None = None
        self._admin = threading.Lock()
        self._lock = threading.Lock()
        self._table = FileTable()
        self._settler = Settler()
        self._notifier = Notifier(
            threading.Condition(self._lock), self._settler, self._table.has_pending, on_change
        )
        self._poller = PollSource(self._on_tick)
        self._observer: WatchdogSource | None = None  # made at the first watch(), unless polling
        self._polling_all = polling
        self._journal: JournalSource | None = None
        self._journal_tried = False
        self._stopped = False

    @property
    def poll_interval(self) -> float:
        """Seconds between two looks at the files when we have no events for them."""
        return self._poller.interval

    @poll_interval.setter
    def poll_interval(self, seconds: float) -> None:
        self._poller.interval = seconds

    # -- public API ---------------------------------------------------------

    def watch(self, paths: Iterable[str]) -> None:
        """Add files (absolute paths) to the watched set; already watched ones are skipped."""
        with self._admin:
            if self._stopped:
                return
            with self._lock:
                # The table records each file's state now, before its directory
                # is watched; the look after (``_mark``) sees a write in between.
                new = self._table.add_all(paths)
                dirs = self._table.dirs_of(new)
                if new:
                    self._journal_add(dirs)
            if not new:
                return
            self._notifier.start()
            self._cover(dirs)
            with self._lock:
                self._mark(new)

    def unwatch(self, paths: Iterable[str]) -> None:
        """Stop watching these files; a directory with no watched file left is dropped."""
        with self._admin:
            emptied: list[str] = []
            with self._lock:
                for path in paths:
                    removed = self._table.remove(path)
                    if removed is not None:
                        self._settler.forget(removed[0])
                        emptied += removed[1]
                if self._journal is not None:
                    self._journal.remove_dirs(emptied)
            self._poller.remove_dirs(emptied)
            # Outside our lock: unscheduling takes the observer's lock, which
            # is held while the observer calls us (and we take ours).
            if self._observer is not None:
                self._observer.remove_dirs(emptied)

    def watched(self) -> set[str]:
        """The watched files, as the caller spelled them."""
        with self._lock:
            return self._table.paths()

    def take_pending(self) -> set[str]:
        """The files that may have changed since the last call; clears the set."""
        with self._lock:
            return self._table.take_pending()

    def has_pending(self) -> bool:
        """Whether :meth:`take_pending` would return something now."""
        with self._lock:
            return self._table.has_pending()

    def sync(self, timeout: float = 0.1) -> None:
        """Barrier: every write to a watched file completed before this call is now pending.

        Looks at every file the journal says was touched (or at every watched
        file where there is no journal), so it does not depend on when
        watchdog's threads deliver the events already queued: no waiting.
        ``timeout`` is accepted for the interface's sake; nothing here waits.
        Does not call ``on_change``: the caller is about to look at the
        pending set anyway.
        """
        del timeout
        with self._lock:
            self._table.refresh(self._suspects())

    def stop(self) -> None:
        """Stop the threads and close the sources: idempotent, quick, leaves only daemon threads."""
        with self._admin:
            if self._stopped:
                return
            self._stopped = True
            observer, self._observer = self._observer, None
            with self._lock:
                if self._journal is not None:
                    self._journal.close()
                    self._journal = None
        # No wake-up once stopping has begun: the notifier goes first.
        self._notifier.stop()
        self._poller.close()
        if observer is not None:
            observer.close()

    # -- internals ----------------------------------------------------------

    def _mark(self, keys: Iterable[str]) -> list[str]:
        """Under ``_lock``: look at these files; a change to an empty pending set starts a batch."""
        was_empty = not self._table.has_pending()
        changed = self._table.refresh(keys)
        if changed and was_empty and self._settler.start():
            self._notifier.wake()
        return changed

    def _suspects(self) -> Iterable[str]:
        """Under ``_lock``: the files a write may have touched (the journal's, else all)."""
        if self._journal is None:
            return self._table.keys()
        touched = self._journal.drain()
        if touched is None:
            # Events were lost: from now on trust only a look at every file.
            self._journal = None
            return self._table.keys()
        return self._table.keys_named(touched)

    def _journal_add(self, dirs: list[str]) -> None:
        """Under ``_lock``: add directories to the journal (opened at first use), or drop it."""
        if not self._journal_tried:
            self._journal_tried = True
            self._journal = JournalSource.open()
        if self._journal is None:
            return
        try:
            self._journal.add_dirs(dirs)
        except SourceFailed:
            # Watch limit or a vanished directory: sync() falls back to a stat per file.
            self._journal = None

    def _cover(self, dirs: list[str]) -> None:
        """Under ``_admin``: have events (or, failing that, polling) cover these directories."""
        if self._polling_all:
            self._poller.add_dirs(dirs)
            return
        if self._observer is None:
            self._observer = WatchdogSource(self._on_event)
        try:
            # A directory that cannot be watched (gone, not ours): poll just
            # its files, quietly.
            self._poller.add_dirs(self._observer.add_dirs(dirs))
        except SourceFailed as exc:
            self._fall_back(str(exc))

    def _fall_back(self, reason: str) -> None:
        """Under ``_admin``: give up on events, poll every watched file, say so once."""
        self._observer = None  # it closed itself
        with self._lock:
            self._polling_all = True
            if self.fallback_warning is None:
                self.fallback_warning = f"{reason}; polling for changes every {self.poll_interval:g} s"
            dirs = self._table.all_dirs()
        self._poller.add_dirs(dirs)

    def _on_event(self, event: FileEvent) -> None:
        """From watchdog's thread: look at the files the event names."""
        with self._lock:
            # A file renamed onto ``dest`` arrives whole.
            named = ((event.src, event.writing, event.closed), (event.dest, False, True))
            for path, writing, complete in named:
                keys = self._table.keys_named((path,)) if path else set()
                for key in keys:
                    self._settler.saw_event(key, writing=writing, complete=complete)
                self._mark(keys)
                if keys and self._settler.busy:
                    # A later event pushes the settling deadline back.
                    self._notifier.wake()
            if event.dir_deleted and self._table.is_dir(event.src):
                # The directory's watch is gone for good: its files, if they
                # come back, are only seen by polling, until a watch() of a
                # file there watches the directory anew.
                self._mark(self._table.keys_in((event.src,)))
                self._poller.add_dirs([event.src])

    def _on_tick(self, dirs: list[str]) -> None:
        """From the poll thread: look at the files of these directories."""
        with self._lock:
            if self._mark(self._table.keys_in(dirs)):
                self._settler.saw_change()
