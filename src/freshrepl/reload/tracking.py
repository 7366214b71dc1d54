"""Which user modules are loaded: the delta of imported and removed ones, at flat cost."""

from __future__ import annotations

import sys
from collections import deque

from freshrepl.protocol import ModuleDelta
from freshrepl.reload.hook import Loaded, SourceStore

MAIN = "__main__"
_REMOVAL_SLICE = 64  # tracked modules re-checked per delta when sys.modules did not shrink


class ModuleTracker:
    """Reports user modules imported or gone since the last call; costs O(new modules).

    A module is reported once its import finished (the store's ``fresh``
    list); from then on its entry in the store is what is tracked, so the
    tracker keeps no table of its own, only the order of the rotating re-check.
    """

    def __init__(self, store: SourceStore) -> None:
        self.store = store
        self._sweep: deque[str] = deque()  # reported names, in re-check order
        self._last_len = len(sys.modules)

    def take(self) -> ModuleDelta:
        added: dict[str, str] = {}
        by_name = self.store.by_name
        for name in self.store.fresh:
            entry = by_name.get(name)
            if entry is not None and self.alive(entry):
                if name not in added:
                    self._sweep.append(name)
                added[name] = entry.path
        self.store.fresh.clear()
        removed = [name for name in self._removal_candidates() if not self.alive(by_name[name])]
        for name in removed:
            self.store.forget(name)
        self._last_len = len(sys.modules)
        return ModuleDelta(added, removed)

    def report_all(self) -> None:
        """The next ``take`` names every user module loaded, not only the new ones."""
        self.store.fresh[:] = list(self.store.by_name)

    @staticmethod
    def alive(entry: Loaded) -> bool:
        if entry.name == MAIN:
            return True
        return sys.modules.get(entry.name) is entry.module

    def _removal_candidates(self) -> list[str]:
        """Names whose modules finished importing; an import still running is none of them."""
        # Removal from sys.modules cannot be hooked; when it shrank, check all,
        # else re-check a rotating slice so that the cost stays flat.
        by_name = self.store.by_name
        if len(sys.modules) < self._last_len:
            return [name for name, entry in by_name.items() if entry.module is not None]
        picked = []
        for _ in range(min(_REMOVAL_SLICE, len(self._sweep))):
            name = self._sweep.popleft()
            entry = by_name.get(name)
            if entry is not None and entry.module is not None and name not in picked:
                picked.append(name)
                self._sweep.append(name)
        return picked
