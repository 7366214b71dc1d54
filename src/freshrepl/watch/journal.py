"""Owns the inotify journal as an event source: which files ``sync()`` must look at (Linux).

The barrier before each input must say, now, which watched files were written.
Without a journal that is one ``stat`` per watched file; with it, one
non-blocking read of our own inotify instance names the touched files (see
:mod:`freshrepl.watch.inotify`).  Any failure closes the journal for good and
the barrier goes back to looking at every file: a watch it could not add
(the inotify limit, a vanished directory) or events it lost (queue overflow, a
watched directory deleted, whose re-created namesake would be silent).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from freshrepl.watch.source import SourceFailed

if sys.platform.startswith("linux"):
    from freshrepl.watch.inotify import ChangeJournal, Overflow

__all__ = ["JournalSource"]


class JournalSource:
    """One inotify instance over the watched directories, drained synchronously."""

    def __init__(self, journal: ChangeJournal) -> None:
        self._journal: ChangeJournal | None = journal

    @classmethod
    def open(cls) -> JournalSource | None:
        """A journal, or None where there is none (not Linux, no inotify, no instance left)."""
        if not sys.platform.startswith("linux"):
            return None
        try:
            return cls(ChangeJournal())
        except (OSError, AttributeError):
            return None

    @property
    def closed(self) -> bool:
        return self._journal is None

    def add_dirs(self, directories: Sequence[str]) -> list[str]:
        if self._journal is None:
            raise SourceFailed("the journal is closed")
        try:
            for d in directories:
                self._journal.add_dir(d)
        except OSError as exc:
            self.close()
            raise SourceFailed(f"cannot watch a directory ({exc})") from exc
        return []

    def remove_dirs(self, directories: Iterable[str]) -> None:
        if self._journal is not None:
            for d in directories:
                self._journal.remove_dir(d)

    def drain(self) -> set[str] | None:
        """The paths touched since the last drain; None if that is unknown (the journal closes)."""
        if self._journal is None:
            return None
        try:
            return self._journal.drain()
        except Overflow:
            self.close()
            return None

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
