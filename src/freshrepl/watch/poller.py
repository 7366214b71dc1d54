"""Owns the polling event source: every interval, a look at the files of some directories.

Used where no events come: every directory when watchdog cannot run (or
``polling=True``), and single directories that cannot be watched (missing,
not ours) or whose watch ended (the directory was deleted).  The thread starts
with the first directory, and never after :meth:`PollSource.close`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

__all__ = ["PollSource"]


class PollSource:
    """A ``freshrepl-poll`` thread calling ``on_tick(directories)`` every ``interval`` seconds."""

    def __init__(self, on_tick: Callable[[list[str]], None], interval: float = 0.5) -> None:
        self.interval = interval  # read at every tick, so it can be changed while running
        self._on_tick = on_tick
        self._lock = threading.Lock()  # a leaf: nothing else is taken while it is held
        self._dirs: dict[str, None] = {}  # ordered set
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def directories(self) -> list[str]:
        with self._lock:
            return list(self._dirs)

    def add_dirs(self, directories: Sequence[str]) -> list[str]:
        with self._lock:
            self._dirs.update(dict.fromkeys(directories))
            if self._dirs and self._thread is None and not self._stopping.is_set():
                thread = threading.Thread(target=self._run, name="freshrepl-poll", daemon=True)
                self._thread = thread
                thread.start()
        return []

    def remove_dirs(self, directories: Iterable[str]) -> None:
        with self._lock:
            for d in directories:
                self._dirs.pop(d, None)

    def close(self) -> None:
        """Stop the thread; joins it unless called from ``on_tick`` itself."""
        with self._lock:
            self._stopping.set()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(1.0)

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            dirs = self.directories
            if dirs:
                self._on_tick(dirs)
