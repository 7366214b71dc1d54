"""Patching live objects in place (functions, classes) with an undo log for rollback."""

from __future__ import annotations

import enum
import types
from collections.abc import Callable, Iterable
from typing import Any

from freshrepl.reload import rules
from freshrepl.reload.closures import ClosureWork
from freshrepl.reload.objects import (
    class_lookup,
    filled,
    function_of,
    held_callables,
    instance_dict,
    is_a,
    is_lru_wrapper,
    member,
    wrapped,
)
from freshrepl.reload.rules import Unsafe

__all__ = ["MISSING", "Unsafe", "UndoLog"]

MISSING = object()

# Class-dict keys that belong to the class object itself, never copied from a new body.
CLASS_SKIP = frozenset(
    {
        "__dict__",
        "__weakref__",
        "__module__",
        "__qualname__",
        "__classcell__",
        "__classdictcell__",
        "__orig_bases__",
        "__slots__",
        "__abstractmethods__",
        "_abc_impl",
        "__dataclass_fields__",
        "__dataclass_params__",
        "__match_args__",
        "__parameters__",
        "__type_params__",
    }
)
# Positions of the class statement itself (3.13): always from the new body.
_ALWAYS = frozenset({"__firstlineno__", "__static_attributes__"})
def _function_state(fn: types.FunctionType) -> dict[str, Any]:
    return {
        "__code__": fn.__code__,
        "__defaults__": fn.__defaults__,
        "__kwdefaults__": fn.__kwdefaults__,
        "__annotations__": fn.__annotations__,
        "__doc__": fn.__doc__,
        "__name__": fn.__name__,
        "__qualname__": fn.__qualname__,
        "dict": dict(fn.__dict__),
    }


def _restore_function(fn: types.FunctionType, state: dict[str, Any]) -> None:
    saved = dict(state)
    fn.__dict__.clear()
    fn.__dict__.update(saved.pop("dict"))
    for attr, value in saved.items():
        setattr(fn, attr, value)


def _restore_class(cls: type, state: dict[str, Any]) -> None:
    for key in [k for k in cls.__dict__ if k not in state]:
        type.__delattr__(cls, key)
    for key, value in state.items():
        if key not in ("__dict__", "__weakref__") and cls.__dict__.get(key, MISSING) is not value:
            type.__setattr__(cls, key, value)


def _restore_codes(functions: list[types.FunctionType], codes: list[types.CodeType]) -> None:
    for fn, code in zip(functions, codes, strict=True):
        fn.__code__ = code


def _restore_cell(cell: types.CellType, value: object) -> None:
    cell.cell_contents = value


class UndoLog:
    """Everything patched during one reload, so that a failure can put it all back."""

    def __init__(self) -> None:
        self._steps: list[tuple[Callable[[Any, Any], None], Any, Any]] = []
        self._saved: set[int] = set()
        # Nested code replaced by patched functions: their earlier closures follow at the end.
        self.closures = ClosureWork()

    def save_function(self, fn: types.FunctionType) -> bool:
        """Record ``fn``; False if it was already patched in this reload."""
        if id(fn) in self._saved:
            return False
        self._saved.add(id(fn))
        self._steps.append((_restore_function, fn, _function_state(fn)))
        return True

    def save_codes(self, functions: list[types.FunctionType]) -> None:
        """Record only the code of each function (closures given new code: one step for
        a million of them)."""
        self._steps.append((_restore_codes, functions, [fn.__code__ for fn in functions]))

    def save_class(self, cls: type) -> None:
        if id(cls) not in self._saved:
            self._saved.add(id(cls))
            self._steps.append((_restore_class, cls, dict(cls.__dict__)))

    def save_cell(self, cell: types.CellType) -> None:
        self._steps.append((_restore_cell, cell, cell.cell_contents))

    def rollback(self) -> None:
        for restore, obj, state in reversed(self._steps):
            restore(obj, state)
        self._steps.clear()
        self._saved.clear()


def patch_function(
    old: types.FunctionType, new: types.FunctionType, log: UndoLog, *, keep_state: bool
) -> None:
    """Give ``old`` everything of ``new`` but its identity (and, with keep_state, its dict)."""
    if old is new or not log.save_function(old):
        return
    if old.__code__.co_freevars != new.__code__.co_freevars:
        only_class_cell = set(old.__code__.co_freevars) ^ set(new.__code__.co_freevars)
        if only_class_cell != {"__class__"} or len(old.__closure__ or ()) > 1:
            rules.refuse_closure_cells(old.__qualname__)
        _redirect(old, new)
        return
    if _redirect_target(old) is not None:
        old.__dict__.pop("__wrapped__", None)  # no longer forwarding: a plain patch again
        code = log.closures.final(new.__code__)
    elif old.__code__ is new.__code__:  # e.g. two wrappers made by the same decorator
        code = new.__code__
    else:
        code = log.closures.note(old, new.__code__)
    old.__code__ = code
    old.__defaults__ = new.__defaults__
    old.__kwdefaults__ = new.__kwdefaults__
    old.__annotations__ = new.__annotations__
    old.__doc__ = new.__doc__
    if not keep_state:
        _patch_cells(old, new, log)
        _patch_function_dict(old, new, log)


def _trampoline(*args, __freshrepl_target__, **kwargs):
    return __freshrepl_target__(*args, **kwargs)


def _class_cell_trampoline():
    __class__ = None

    def trampoline(*args, __freshrepl_target__, **kwargs):
        __class__  # noqa: B018 - makes __class__ a free variable, as in a super() method
        return __freshrepl_target__(*args, **kwargs)

    return trampoline


_CELL_TRAMPOLINE = _class_cell_trampoline().__code__


def _redirect_target(fn: types.FunctionType) -> types.FunctionType | None:
    return (fn.__kwdefaults__ or {}).get("__freshrepl_target__")


def is_redirected(fn: types.FunctionType) -> bool:
    """True for an old function object that forwards to its new version (see _redirect)."""
    return _redirect_target(fn) is not None


def _source_file(fn: types.FunctionType) -> str:
    target = _redirect_target(fn)
    return _source_file(target) if target is not None else fn.__code__.co_filename


def _redirect(old: types.FunctionType, new: types.FunctionType) -> None:
    """A method that gained or lost ``super()`` needs a closure cell the old function
    object cannot grow or drop: the old object forwards every call to the new one."""
    old.__code__ = _CELL_TRAMPOLINE if old.__closure__ else _trampoline.__code__
    old.__defaults__ = None
    old.__kwdefaults__ = {"__freshrepl_target__": new}
    old.__doc__ = new.__doc__
    old.__annotations__ = new.__annotations__
    old.__dict__["__wrapped__"] = new  # inspect.signature shows the real signature


def _patch_cells(old: types.FunctionType, new: types.FunctionType, log: UndoLog) -> None:
    """A re-applied decorator: follow the wrapped function, take every other value the
    new wrapper holds (arguments, a fresh cache), as a fresh process would have them."""
    for old_cell, new_cell in zip(old.__closure__ or (), new.__closure__ or (), strict=True):
        try:
            was, now = old_cell.cell_contents, new_cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if was is now or patch_in_place(was, now, log):
            continue
        log.save_cell(old_cell)
        old_cell.cell_contents = now


def _patch_function_dict(old: types.FunctionType, new: types.FunctionType, log: UndoLog) -> None:
    """A re-applied (or removed) decorator: the function's attributes become the new
    function's, as a fresh process has them; functions among them keep their identity."""
    for key in [k for k in old.__dict__ if k not in new.__dict__]:
        del old.__dict__[key]
    for key, now in new.__dict__.items():
        was = old.__dict__.get(key, MISSING)
        if was is now or (was is not MISSING and patch_in_place(was, now, log)):
            continue
        old.__dict__[key] = now


def patch_in_place(old: object, new: object, log: UndoLog) -> bool:
    """Make ``old`` behave as ``new`` keeping its identity; False if it cannot."""
    if old is new:
        return True
    if type(old) is not type(new):
        return False
    if is_a(old, types.FunctionType) and is_a(new, types.FunctionType):
        if _source_file(old) != _source_file(new):
            return False  # e.g. a generated dataclass method replaced by the user's own
        patch_function(old, new, log, keep_state=False)
        return True
    if is_lru_wrapper(old):
        if _cache_parameters(old) != _cache_parameters(new):
            return False  # maxsize and typed live in C: cannot change in place
        if not patch_in_place(wrapped(old), wrapped(new), log):
            return False
        old.cache_clear()  # type: ignore[attr-defined]
        return True
    if is_a(old, (staticmethod, classmethod)):
        return patch_in_place(function_of(old), function_of(new), log)
    if is_a(old, property):
        return _patch_property(old, new, log)  # type: ignore[arg-type]
    return False


def _cache_parameters(wrapper: object) -> object:
    """maxsize and typed of an lru wrapper (the C one's method; the fallback's attribute)."""
    parameters = class_lookup(type(wrapper), "cache_parameters", None)
    if parameters is None:
        parameters = (instance_dict(wrapper) or {}).get("cache_parameters")
        return parameters() if type(parameters) is types.FunctionType else None
    return parameters(wrapper) if type(parameters) is types.FunctionType else None


def _patch_property(old: property, new: property, log: UndoLog) -> bool:
    pairs = [(member(property, old, a), member(property, new, a)) for a in ("fget", "fset", "fdel")]
    if any((a is None) != (b is None) for a, b in pairs):
        return False  # an accessor was added or removed: the caller replaces the property
    return all(a is None or patch_in_place(a, b, log) for a, b in pairs)


def unregister(obj: object, holders: list[object], was: object = MISSING) -> None:
    """Take ``obj``, made during this reload, out of the lists, sets and dicts that a
    decorator put it in (best effort: other containers cannot be undone).  Where it took
    the place of ``was`` (a registry keyed by name: ``was`` is nowhere else in it), ``was``
    goes back there."""
    for holder in holders:
        if is_a(holder, list):
            put_back = was is not MISSING and not any(item is was for item in holder)
            kept = [was if item is obj and put_back else item for item in holder]
            holder[:] = [item for item in kept if item is not obj]
        elif is_a(holder, set):
            holder.discard(obj)
        elif is_a(holder, dict):
            put_back = was is not MISSING and not any(v is was for v in dict.values(holder))
            for key in [k for k, v in dict.items(holder) if v is obj]:
                if put_back:
                    holder[key] = was
                else:
                    del holder[key]


def clear_caches(obj: object) -> None:
    """``cache_clear()`` every lru_cache along a ``__wrapped__`` chain: results may be stale."""
    seen = 0
    while obj is not None and seen < 20:
        if is_lru_wrapper(obj):
            obj.cache_clear()  # type: ignore[attr-defined]
        obj = wrapped(obj)
        seen += 1


def find_raw_function(obj: object, name: str, path: str) -> types.FunctionType | None:
    """The undecorated function named ``name`` from ``path`` inside a decorator chain:
    through ``__wrapped__``, ``__func__``, property accessors, closures and, for other
    descriptors and wrapper objects (wrapt's included), the callables they hold, as the
    collector sees them: no attribute of an unknown object is asked for."""
    todo, seen = [obj], set[int]()
    while todo:
        current = todo.pop(0)
        if id(current) in seen or len(seen) > 50:
            continue
        seen.add(id(current))
        if type(current) is types.FunctionType:
            code = current.__code__
            if code.co_name == name and code.co_filename == path:
                return current
            todo += [c.cell_contents for c in current.__closure__ or () if filled(c)]
            todo += [current.__dict__[a] for a in ("__wrapped__",) if a in current.__dict__]
            continue
        todo += held_callables(current)
    return None


def wrapper_metadata(raw: types.FunctionType) -> dict[str, object]:
    """What ``functools.wraps`` copies from a function onto its wrappers."""
    return {"__doc__": raw.__doc__, "__annotations__": raw.__annotations__}


def refresh_wrappers(holder: object, raw: types.FunctionType, before: dict[str, object]) -> None:
    """Wrappers along the ``__wrapped__`` chain that copied the old metadata get the new."""
    current, depth = holder, 0
    while current is not None and current is not raw and depth < 20:
        attrs = instance_dict(current)  # a function's, an lru wrapper's, a Python object's
        for attr, old in before.items():
            if attrs is not None and attrs.get(attr, MISSING) is old:
                attrs[attr] = getattr(raw, attr)
            elif type(current) is types.FunctionType and getattr(current, attr) is old:
                setattr(current, attr, getattr(raw, attr))
        current, depth = wrapped(current), depth + 1


def patch_class(
    old: type, namespace: dict[str, Any], apply: Iterable[str], remove: Iterable[str], log: UndoLog
) -> None:
    """Copy a re-executed class body onto the existing class object."""
    log.save_class(old)
    cell = namespace.get("__classcell__")
    if cell is not None:
        cell.cell_contents = old  # zero-argument super() in new methods finds the OLD class
    apply = set(apply) | (_ALWAYS & set(namespace))
    skip = _enum_keys(old) if isinstance(old, enum.EnumMeta) else frozenset()
    for key, now in namespace.items():
        if key in CLASS_SKIP or key in skip or (key in old.__dict__ and key not in apply):
            continue
        was = old.__dict__.get(key, MISSING)
        if was is not MISSING and patch_in_place(was, now, log):
            continue
        if is_a(was, type) and is_a(now, type):
            rules.refuse_nested_class_replaced(f"{old.__qualname__}.{key}")
        type.__setattr__(old, key, now)
        set_name: Any = class_lookup(type(now), "__set_name__", None)
        if set_name is not None:
            set_name.__get__(now, type(now))(old, key)  # as type() calls it
    for key in remove:
        if key in old.__dict__ and key not in namespace:
            type.__delattr__(old, key)


def _enum_keys(cls: enum.EnumMeta) -> frozenset[str]:
    """Members and _sunder_ names: the enum machinery owns them (members are unchanged)."""
    sunder = {k for k in dir(cls) if k[:1] == "_" and k[-1:] == "_" and k[:2] != "__"}
    return frozenset(cls.__members__) | sunder | {"_generate_next_value_", "_ignore_"}
