"""Owns the interface every event source offers the watcher: cover directories, drop them, close.

An event source tells the watcher *which files to look at*; what changed is
always decided by the file table.  Sources cover whole directories
(non-recursively, so an editor's save by writing a temporary file and renaming
it over the original is seen), and report in their own way:

- :class:`~freshrepl.watch.observer.WatchdogSource` pushes watchdog's events
  from watchdog's threads;
- :class:`~freshrepl.watch.poller.PollSource` pushes "look at these
  directories' files" from its thread every interval;
- :class:`~freshrepl.watch.journal.JournalSource` is pulled: ``sync()`` drains
  it, on the caller's thread, as the barrier before each input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

__all__ = ["EventSource", "SourceFailed"]


class SourceFailed(Exception):
    """The source can cover nothing any more (it has closed itself); ``str()`` says why."""


class EventSource(Protocol):
    def add_dirs(self, directories: Sequence[str]) -> list[str]:
        """Cover these directories (already covered ones are skipped).

        Returns those it cannot cover (the caller polls their files).  Raises
        :class:`SourceFailed` when it cannot work at all any more.
        """
        ...

    def remove_dirs(self, directories: Iterable[str]) -> None:
        """Stop covering these directories (unknown ones are ignored)."""
        ...

    def close(self) -> None:
        """Release everything; idempotent."""
        ...
