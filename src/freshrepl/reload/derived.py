"""What the standard library derived from old code, brought up to date after a reload.

Patching a function or class in place keeps its identity, but some machinery
computed something from the old code or values and kept the result:

- ``functools.cache``/``lru_cache`` results, ``functools.cached_property`` values
  stored on instances, ``singledispatch``/``singledispatchmethod`` dispatch caches:
  cleared in every module that could hold results computed from a reloaded
  one (it, the user modules that import it, directly or not, and ``__main__``);
- a class's ``__abstractmethods__`` (ABCs), for the class and every subclass;
- ``typing.Protocol`` member sets (cached on the class from 3.12);
- the ABC registry caches (``isinstance(x, Sized)`` remembers its answer per
  class), and with them the dispatch caches that depend on ABCs.

What cannot be recomputed on this interpreter is refused (``rules``), found by
feature, never by version.
"""

from __future__ import annotations

import abc
import functools
import gc
import types
import typing
from collections.abc import Iterable
from typing import Any

from freshrepl.reload import rules
from freshrepl.reload.objects import (
    class_lookup,
    function_of,
    instance_dict,
    is_a,
    is_lru_wrapper,
    made_in,
    own_attribute,
    wrapped,
)

_SUBCLASSES = type.__dict__["__subclasses__"]
_UPDATE_ABSTRACT = getattr(abc, "update_abstractmethods", None)
_PROTOCOL_ATTRS = getattr(typing, "_get_protocol_attrs", None)


class _Token(abc.ABC):  # noqa: B024 - an ABC for its registry only
    """Registering a class here moves the ABC cache token on: every ``singledispatch``
    function that dispatches on an ABC drops its dispatch cache at its next call."""


# -- classes ---------------------------------------------------------------------------------


def subclasses(cls: type) -> list[type]:
    """``cls`` and every class derived from it, bases before the classes built on them."""
    found, todo, seen = [cls], [cls], {id(cls)}
    while todo:
        for sub in _SUBCLASSES(todo.pop()):
            if id(sub) not in seen:
                seen.add(id(sub))
                found.append(sub)
                todo.append(sub)
    return sorted(found, key=lambda c: len(c.__mro__))


def refresh_class(cls: type, log: Any) -> None:
    """After members of ``cls`` were added, replaced or removed: what the ABC and Protocol
    machinery computed from the old member set, for ``cls`` and every subclass."""
    family = subclasses(cls)
    for klass in family:
        if "__abstractmethods__" in klass.__dict__:
            if _UPDATE_ABSTRACT is None:
                rules.refuse_underivable(klass, "__abstractmethods__")
            log.save_class(klass)
            _UPDATE_ABSTRACT(klass)
        if "__protocol_attrs__" in klass.__dict__:
            _refresh_protocol(klass, log)
    reset_abc_caches()


def _refresh_protocol(cls: type, log: Any) -> None:
    """The member sets ``typing`` keeps on a Protocol class (3.12+), as it computes them."""
    if _PROTOCOL_ATTRS is None:
        rules.refuse_underivable(cls, "__protocol_attrs__")
    log.save_class(cls)
    attrs = _PROTOCOL_ATTRS(cls)
    type.__setattr__(cls, "__protocol_attrs__", attrs)
    if "__non_callable_proto_members__" in cls.__dict__:
        members = {a for a in attrs if not callable(class_lookup(cls, a, None))}
        type.__setattr__(cls, "__non_callable_proto_members__", members)


def reset_abc_caches() -> None:
    """Forget every ABC's remembered ``isinstance``/``issubclass`` answers: a class that
    gained or lost a method may now answer otherwise (``Sized``, a runtime Protocol)."""
    for klass in subclasses(object):
        if is_a(klass, abc.ABCMeta):
            clear = class_lookup(type(klass), "_abc_caches_clear", None)
            try:
                clear(klass)  # type: ignore[operator]
            except Exception as exc:  # a metaclass of its own that cannot: stale answers
                rules.refuse_underivable(klass, f"ABC caches ({type(exc).__name__} on reset)")
    _Token.register(type("_Changed", (), {}))


# -- results kept from old code --------------------------------------------------------------


# Values that hold no cache and wrap nothing: most of a namespace, passed over at once.
_PLAIN = frozenset({
    int, float, complex, str, bytes, bool, type(None), tuple, list, dict, set, frozenset,
    types.ModuleType, types.BuiltinFunctionType, type,
})


class _Results:
    """Caches found in module namespaces, and the cached_properties whose values sit on
    instances (cleared together, by one heap walk)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.properties: dict[type, list[str]] = {}

    def visit(self, value: object, module: str, owner: type | None = None) -> None:
        kind = type(value)
        if kind in _PLAIN and not (kind is type and made_in(value, module)):
            return
        if kind is types.FunctionType and not value.__dict__:
            return  # no cache, no dispatch registry, wraps nothing
        depth = 0
        while value is not None and id(value) not in self.seen and depth < 10:
            self.seen.add(id(value))
            if made_in(value, module):
                for member in list(type.__dict__["__dict__"].__get__(value).values()):
                    self.visit(member, module, value)
                return
            self._clear(value, owner)
            value, depth = function_of(value) or wrapped(value), depth + 1

    def _clear(self, value: object, owner: type | None) -> None:
        if is_lru_wrapper(value):
            value.cache_clear()  # type: ignore[attr-defined]
        elif type(value) is types.FunctionType:
            _clear_dispatch(value)
        elif is_a(value, functools.singledispatchmethod):
            dispatcher = own_attribute(value, "dispatcher", None)
            if type(dispatcher) is types.FunctionType:
                _clear_dispatch(dispatcher)
        elif is_a(value, functools.cached_property) and owner is not None:
            name = own_attribute(value, "attrname", None)
            if type(name) is str:
                self.properties.setdefault(owner, []).append(name)

    def drop_cached_values(self) -> None:
        """Values cached_property stored on live instances are computed again on next use."""
        if not self.properties:
            return
        names: dict[type, set[str]] = {}
        for owner, attrs in self.properties.items():
            for klass in subclasses(owner):
                names.setdefault(klass, set()).update(attrs)
        for ref in gc.get_referrers(*names):
            dropped = names.get(type(ref))
            found = instance_dict(ref) if dropped is not None else None
            for attr in dropped if found is not None else ():  # type: ignore[union-attr]
                found.pop(attr, None)  # type: ignore[union-attr]


def _clear_dispatch(fn: types.FunctionType) -> None:
    """A ``singledispatch`` function's dispatch cache (it keeps the clearing method)."""
    attrs = fn.__dict__
    clear = attrs.get("_clear_cache")
    if "registry" in attrs and "dispatch" in attrs and type(clear) is types.BuiltinMethodType:
        clear()


def clear_results(namespaces: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Clear what the functions and classes of these modules (name, namespace) cached
    from the old code or values: lru caches, dispatch caches, cached_property values."""
    results = _Results()
    for module, namespace in namespaces:
        for value in list(namespace.values()):
            results.visit(value, module)
    results.drop_cached_values()
