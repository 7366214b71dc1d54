"""True line numbers after a reload: unchanged code whose lines moved gets the new positions."""

from __future__ import annotations

import types
from typing import Any

from freshrepl.reload.analysis import code_index, same_shape
from freshrepl.reload.closures import LINEAGE
from freshrepl.reload.objects import held_callables, is_a, made_in
from freshrepl.reload.patching import UndoLog

_LIMIT = 100_000  # objects visited at most: a module's namespace, never the heap


def refresh_positions(
    namespace: dict[str, Any], new_code: types.CodeType, module: str, path: str, log: UndoLog
) -> None:
    """Functions of ``path`` reachable from the module namespace (and its classes) whose
    code equals the new file's but for positions take the new code object."""
    index = code_index(new_code)
    seen: set[int] = set()
    for value in list(namespace.values()):
        _refresh(value, index, seen, module, path, log)


def _refresh(obj: object, index: dict, seen: set[int], module: str, path: str, log: UndoLog) -> None:
    if id(obj) in seen or len(seen) > _LIMIT:
        return
    seen.add(id(obj))
    if is_a(obj, type):
        if made_in(obj, module):
            for value in list(type.__dict__["__dict__"].__get__(obj).values()):
                _refresh(value, index, seen, module, path, log)
        return
    for inner in _inner_functions(obj):
        _refresh(inner, index, seen, module, path, log)
    if type(obj) is types.FunctionType and obj.__code__.co_filename == path:
        _refresh_function(obj, index, log)


def _inner_functions(obj: object) -> list[object]:
    """Functions a decorator's product keeps: what it wraps, a method's or accessor's
    function, read statically (a module global may be a proxy whose lookups raise)."""
    if type(obj) is types.FunctionType:
        inner = obj.__dict__.get("__wrapped__")
        return [inner] if inner is not None else []
    return held_callables(obj)


def _refresh_function(fn: types.FunctionType, index: dict, log: UndoLog) -> None:
    key = tuple(p for p in fn.__qualname__.split(".") if p != "<locals>")
    if key[-1] != fn.__code__.co_name:
        return  # a wrapper renamed by functools.wraps: not the code of that name
    candidates = index.get(key, ())
    if any(c is fn.__code__ for c in candidates):
        return
    new = next((c for c in candidates if same_shape(c, fn.__code__)), None)
    if new is not None and log.save_function(fn):
        LINEAGE.replaced(fn.__code__, new)
        fn.__code__ = new
