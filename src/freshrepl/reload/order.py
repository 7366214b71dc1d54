"""Which loaded modules one reload concerns: the changed ones in dependency order, and the
modules whose caches could hold results computed from them."""

from __future__ import annotations

import types
from typing import Any

from freshrepl.reload.analysis import imported_modules
from freshrepl.reload.hook import Loaded, SourceStore
from freshrepl.reload.objects import module_global
from freshrepl.reload.plan import dependency_order
from freshrepl.reload.tracking import MAIN


def module_of(entry: Loaded, main: types.ModuleType) -> types.ModuleType | None:
    return main if entry.name == MAIN else entry.module


def _imports_of(entry: Loaded, main: types.ModuleType) -> set[str]:
    key = ("imports", entry.text)
    if key not in entry.tree_cache:
        module = module_of(entry, main)
        package = module_global(module, "__package__") if module is not None else None
        entry.tree_cache[key] = imported_modules(entry.tree(), package)
    return entry.tree_cache[key]


def in_dependency_order(store: SourceStore, main: types.ModuleType, names: list[str]) -> list[str]:
    """Dependencies first (imports among the changed modules); cycles keep file order."""
    if len(names) < 2:
        return names
    wanted = set(names)
    entries = {n: store.by_name.get(n) for n in names}  # __main__ may be untracked
    deps = {n: (_imports_of(e, main) & wanted) - {n} if e else set() for n, e in entries.items()}
    return dependency_order(names, deps)


def result_holders(
    store: SourceStore, main: types.ModuleType, names: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    """The modules whose caches could hold results computed from these modules' old
    code or values: they, the user modules importing them (directly or not), __main__."""
    found, todo = set(names), list(names)
    while todo:
        for importer in store.maybe_importers(todo.pop()):
            if importer not in found:
                found.add(importer)
                todo.append(importer)
    # Not a scan of every module: after a checkpoint's fork each one visited costs a page copy.
    modules = [(n, module_of(store.by_name[n], main)) for n in sorted(found) if n in store.by_name]
    if MAIN not in store.by_name:
        modules.append((MAIN, main))
    return [(n, m.__dict__) for n, m in modules if m is not None]
