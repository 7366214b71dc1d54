"""Which user modules are loaded: the delta of imported and removed ones, at flat cost."""

from __future__ import annotations

import sys
from collections import deque

from freshrepl.protocol import ModuleDelta
from freshrepl.reload.hook import Loaded, SourceStore

MAIN = "__main__"
_REMOVAL_SLICE = 64  # tracked modules re-checked per delta when sys.modules did not shrink


class ModuleTracker:
    """Reports user modules imported or gone since the last call; costs O(new modules)."""

    def __init__(self, store: SourceStore) -> None:
        self.store = store
        self.reported: dict[str, Loaded] = {}
        self._sweep: deque[str] = deque()
        self._last_len = len(sys.modules)

    def take(self) -> ModuleDelta:
        added: dict[str, str] = {}
        for name in self.store.fresh:
            entry = self.store.by_name.get(name)
            if entry is not None and self.alive(entry):
                added[name] = entry.path
                self.reported[name] = entry
                self._sweep.append(name)
        self.store.fresh.clear()
        removed = [n for n in self._removal_candidates() if not self.alive(self.reported[n])]
        for name in removed:
            del self.reported[name]
            if name not in added:
                self.store.forget(name)
        self._last_len = len(sys.modules)
        return ModuleDelta(added, removed)

    @staticmethod
    def alive(entry: Loaded) -> bool:
        if entry.name == MAIN:
            return True
        return sys.modules.get(entry.name) is entry.module

    def _removal_candidates(self) -> list[str]:
        # Removal from sys.modules cannot be hooked; when it shrank, check all,
        # else re-check a rotating slice so that the cost stays flat.
        if len(sys.modules) < self._last_len:
            return list(self.reported)
        picked = []
        for _ in range(min(_REMOVAL_SLICE, len(self._sweep))):
            name = self._sweep.popleft()
            if name in self.reported:
                picked.append(name)
                self._sweep.append(name)
        return picked
