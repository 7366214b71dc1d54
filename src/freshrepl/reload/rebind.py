"""Rebinding ``from mod import name`` bindings (in ``__main__`` and user modules) after a reload.

Referrers are found only through recorded import statements, never by scanning
the heap: the cost depends on the number of tracked modules, not on the heap.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Iterator

from freshrepl.reload.analysis import from_imports
from freshrepl.reload.hook import SourceStore

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    from typing import Any

    from freshrepl.reload.plan import Changes  # what a reload brings; imported by the first one

MAIN = "__main__"
Binding = tuple[str, str, str]  # (source module, imported name or "*", bound as)
_ABSENT = object()


class Rebinder:
    """Knows who imported what from whom, and moves stale bindings to new objects."""

    def __init__(self, store: SourceStore, main: types.ModuleType) -> None:
        self.store = store
        self.main = main
        self._main_bindings: list[Binding] = []  # typed at the prompt
        self._cache: dict[str, tuple[object, list[Binding]]] = {}  # by module: (version, bindings)
        # owner module name: [(namespace, bound name, previous value)] for undo.
        self.undo_log: dict[str, list[tuple[dict, str, Any]]] = {}

    def note_main_input(self, source: str) -> None:
        """Record the prompt's ``from m import x [as y]`` / ``from m import *``."""
        if "import" not in source:
            return
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return
        self._main_bindings += from_imports(tree, None)

    def _importers(self, name: str) -> Iterator[tuple[str, dict, list[Binding]]]:
        mine = [b for b in self._main_bindings if b[0] == name]
        if mine:
            yield MAIN, self.main.__dict__, mine
        for owner in sorted(self.store.maybe_importers(name)):
            entry = self.store.by_name.get(owner)
            module = self.main if owner == MAIN else getattr(entry, "module", None)
            if entry is None or owner == name or module is None or not entry.has_source:
                continue
            # Keyed by the source's version: decoding every importer's text to hash it
            # cost more than the rest of a small reload (2,000 importers: ~8 ms).
            cached = self._cache.get(entry.name)
            if cached is None or cached[0] is not entry.version:
                package = module.__dict__.get("__package__")
                cached = self._cache[entry.name] = (entry.version, from_imports(entry.tree(), package))
            yield entry.name, module.__dict__, cached[1]

    def rebind(self, name: str, module: types.ModuleType, changes: Changes) -> dict[str, set[str]]:
        """Rebind every stale binding of ``name``'s changed names; returns owner: names."""
        touched: dict[str, set[str]] = {}
        for owner, namespace, bindings in self._importers(name):
            for source, imported, bound in bindings:
                if source != name:
                    continue
                if imported == "*":
                    done = self._rebind_star(owner, namespace, module, changes)
                else:
                    done = (
                        {bound}
                        if self._rebind(owner, namespace, bound, imported, changes, module)
                        else set()
                    )
                if done:
                    touched.setdefault(owner, set()).update(done)
        return touched

    def _rebind_star(
        self, owner: str, namespace: dict, module: types.ModuleType, changes: Changes
    ) -> set[str]:
        public = module.__dict__.get("__all__")  # not asked of a module __getattr__
        done = set()
        for new_name in sorted(changes.added):
            visible = new_name in public if public is not None else not new_name.startswith("_")
            if visible and new_name not in namespace:
                self._set(owner, namespace, new_name, module.__dict__[new_name])
                done.add(new_name)
        for bound in [*changes.replaced, *changes.removed]:
            if self._rebind(owner, namespace, bound, bound, changes, module):
                done.add(bound)
        return done

    def _rebind(
        self,
        owner: str,
        namespace: dict,
        bound: str,
        imported: str,
        changes: Changes,
        module: types.ModuleType,
    ) -> bool:
        current = namespace.get(bound, _ABSENT)
        if imported in changes.replaced:
            old, new = changes.replaced[imported]
            if current is old:
                self._set(owner, namespace, bound, new)
                return True
        elif imported in changes.removed and current is changes.removed[imported]:
            self._set(owner, namespace, bound, _ABSENT)
            return True
        elif imported in changes.restored and current is _ABSENT:
            # Unbound when an earlier reload removed it: the same object is back.
            self._set(owner, namespace, bound, module.__dict__[imported])
            return True
        return False

    def _set(self, owner: str, namespace: dict, bound: str, value: object) -> None:
        self.undo_log.setdefault(owner, []).append(
            (namespace, bound, namespace.get(bound, _ABSENT))
        )
        if value is _ABSENT:
            del namespace[bound]
        else:
            namespace[bound] = value

    def undo(self, owner: str) -> None:
        """Put back the bindings rebound in ``owner`` during this reload."""
        for namespace, bound, previous in reversed(self.undo_log.pop(owner, [])):
            if previous is _ABSENT:
                namespace.pop(bound, None)
            else:
                namespace[bound] = previous
