"""Who outside the user's code holds a function: a walk up the collector's referrers.

A library handed a function (FastAPI's ``Depends``, a click command, a dispatch
table kept by a library) may have read its signature then and kept what it
derived.  Who holds it is found by walking up ``gc.get_referrers`` level by level
(one pass over the heap per level, so only when a signature changed): builtin
containers, cells, methods and the stdlib's transparent wrappers are walked
through to their own holders; the walk stops at what belongs to the user (a
user module's or ``__main__``'s namespace, a class or function made in one, an
object of a user class), the REPL's ``builtins._``, frames and freshrepl's own
bookkeeping.  Anything else holding it is a library's: the answer names it.
What the walk cannot finish (too deep, too wide) is answered as a holder too:
when in doubt the change is refused.
"""

from __future__ import annotations

import builtins
import collections
import functools
import gc
import sys
import types

from freshrepl.reload.objects import LRU_WRAPPER, class_module, instance_dict, is_a
from freshrepl.reload.userfiles import is_user_file

# Holders that derive nothing from what they hold: walked through to their own holders.
_WALKED = (
    list, tuple, dict, set, frozenset, collections.deque, types.CellType, types.MethodType,
    types.SimpleNamespace, property, staticmethod, classmethod, functools.partial,
    functools.partialmethod, functools.cached_property, LRU_WRAPPER,
)
_LEVELS = 8  # how far up a chain of containers is followed
_WIDTH = 2000  # how many objects one level may hold before the walk gives up


def foreign_holder(targets: list[object], ignore: object = None) -> str | None:
    """What outside the user's code holds one of ``targets``, in words (None: nothing);
    ``ignore``: a container of the caller's (not walked up)."""
    return _Walk().up_from(targets, id(ignore))


_WALK = "walk"


class _Walk:
    """One walk up from the targets; module ownership is looked up once per module."""

    def __init__(self) -> None:
        self.namespaces = _module_namespaces()
        self.owned: dict[str, bool] = {"builtins": True}  # the REPL keeps ``_`` there

    def up_from(self, targets: list[object], ignored: int) -> str | None:
        seen = {id(t) for t in targets} | {ignored}
        level: list[object] = list(targets)
        for _ in range(_LEVELS):
            up: list[object] = []
            # The arguments go as this very tuple (the call's own: some versions report it).
            arguments = tuple(level)
            referrers = gc.get_referrers(*arguments)
            mine = {id(level), id(up), id(referrers), id(targets), id(arguments)}
            for ref in referrers:
                if id(ref) in seen or id(ref) in mine:
                    continue
                seen.add(id(ref))
                kind = self._classify(ref)
                if kind is _WALK:
                    up.append(ref)
                elif kind is not None:
                    return kind
            del referrers, arguments
            if not up:
                return None
            if len(up) > _WIDTH:
                return f"more than {_WIDTH} objects (too many to tell)"
            level = up
        return f"a chain of containers more than {_LEVELS} deep (too deep to tell)"

    def _classify(self, ref: object) -> str | None:
        """``_WALK`` (look at its holders), None (the user's or ours: stop), or the words
        naming a library's holder."""
        if is_a(ref, (types.FrameType, types.GeneratorType, types.CoroutineType)):
            return None
        if type(ref) is dict and id(ref) in self.namespaces:
            name = self.namespaces[id(ref)]
            return None if self._owned(name) else f"module {name}"
        if is_a(ref, type):
            return None if self._owned(class_module(ref)) else f"class {_class_name(ref)}"
        if type(ref) is types.FunctionType:
            return self._function(ref)
        if is_a(ref, _WALKED):
            return _WALK
        if self._owned(class_module(type(ref))):
            return None  # an object of a user class (or freshrepl's own bookkeeping)
        return f"a {_class_name(type(ref))}"

    def _function(self, fn: types.FunctionType) -> str | None:
        module = fn.__globals__.get("__name__")
        if type(module) is str and (module == "freshrepl" or module.startswith("freshrepl.")):
            return None  # the engine's own closures over what it patches
        filename = fn.__code__.co_filename
        if filename.startswith("<") or is_user_file(filename):
            return _WALK  # a wrapper or closure the user made (or typed): who holds it?
        return f"{module}.{fn.__qualname__} (a library's function)"

    def _owned(self, module_name: object) -> bool:
        """A module of the user's, or freshrepl's own (whose bookkeeping holds anything)."""
        if type(module_name) is not str:
            return False
        if module_name not in self.owned:
            self.owned[module_name] = _is_users(module_name)
        return self.owned[module_name]


def _is_users(name: str) -> bool:
    if name == "__main__" or name == "freshrepl" or name.startswith("freshrepl."):
        return True
    module = sys.modules.get(name)
    namespace = instance_dict(module) if is_a(module, types.ModuleType) else None
    path = (namespace or {}).get("__file__")
    return type(path) is str and is_user_file(path)


def _module_namespaces() -> dict[int, str]:
    """Every loaded module's namespace by id, and the module's name."""
    found: dict[int, str] = {}
    for name, module in list(sys.modules.items()):
        namespace = instance_dict(module) if is_a(module, types.ModuleType) else None
        if namespace is not None:
            found[id(namespace)] = name
    found[id(builtins.__dict__)] = "builtins"
    return found


def _class_name(cls: type) -> str:
    qualname = type.__dict__["__qualname__"].__get__(cls, type(cls))
    return f"{class_module(cls)}.{qualname}"
