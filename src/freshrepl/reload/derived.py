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
import importlib.machinery
import sys
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

from freshrepl.reload import rules
from freshrepl.reload.objects import (
    LRU_WRAPPER,
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
_LRU_DICT = LRU_WRAPPER.__dict__["__dict__"]
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
    machinery computed from the old member set, for ``cls`` and every subclass (the
    ABC caches, once per module: ``reset_abc_caches``)."""
    family = subclasses(cls)
    for klass in family:
        if "__abstractmethods__" in klass.__dict__:
            if _UPDATE_ABSTRACT is None:
                rules.refuse_underivable(klass, "__abstractmethods__")
            log.save_class(klass)
            _UPDATE_ABSTRACT(klass)
        if "__protocol_attrs__" in klass.__dict__:
            _refresh_protocol(klass, log)


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


_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: instances of classes made by class statements
# Every module's ``__spec__`` and ``__loader__`` (freshrepl's loaders are subclasses).
_IMPORT_MACHINERY = (
    importlib.machinery.ModuleSpec, importlib.machinery.SourceFileLoader,
    importlib.machinery.SourcelessFileLoader, importlib.machinery.ExtensionFileLoader,
)
# What most of a namespace or class dict holds, and never a cache.
_NO_CACHE = frozenset({
    int, float, complex, str, bytes, bool, type(None), tuple, list, dict, set, frozenset,
    types.ModuleType, types.BuiltinFunctionType, types.GetSetDescriptorType,
    types.MemberDescriptorType, types.WrapperDescriptorType, property,
    *_IMPORT_MACHINERY,
})


class _Results:
    """Caches found in module namespaces, and the cached_properties whose values sit on
    instances (cleared together, by one heap walk)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.properties: dict[type, list[str]] = {}

    def visit(self, value: object, module: str, owner: type | None = None) -> None:
        """Follow ``value`` down what it wraps, clearing what caches on the way.  Decided
        by exact type first: most of a namespace (data, modules, plain functions) holds
        no cache and costs one look."""
        kind = type(value)
        if kind in _NO_CACHE or kind is types.FunctionType and not value.__dict__:
            return
        for _ in range(10):
            if value is None or id(value) in self.seen:
                return
            self.seen.add(id(value))
            value = self._step(value, module, owner)

    def _step(self, value: object, module: str, owner: type | None) -> object:
        """Clear what ``value`` caches; returns what it wraps (None: nothing to follow)."""
        kind = type(value)
        if kind is types.FunctionType:
            attrs = value.__dict__
            if not attrs:
                return None
            if is_lru_wrapper(value):
                value.cache_clear()  # type: ignore[attr-defined]
            _clear_dispatch(value)  # type: ignore[arg-type]
            return attrs.get("__wrapped__")
        if kind is LRU_WRAPPER:  # the C one: its own dict holds what it wraps
            value.cache_clear()  # type: ignore[attr-defined]
            attrs = _LRU_DICT.__get__(value, kind)
            return dict.get(attrs, "__wrapped__") if type(attrs) is dict else wrapped(value)
        if is_lru_wrapper(value):
            value.cache_clear()  # type: ignore[attr-defined]
            return wrapped(value)
        if kind is staticmethod or kind is classmethod:
            return function_of(value)
        if is_a(value, type):
            if made_in(value, module):
                self._visit_members(value, module)
            return None
        if is_a(value, functools.singledispatchmethod):
            dispatcher = own_attribute(value, "dispatcher", None)
            return dispatcher if type(dispatcher) is types.FunctionType else None
        if is_a(value, functools.cached_property):
            name = own_attribute(value, "attrname", None)
            if owner is not None and type(name) is str:
                self.properties.setdefault(owner, []).append(name)
            return None
        if kind.__flags__ & _HEAP_TYPE and not issubclass(kind, _IMPORT_MACHINERY):
            return wrapped(value)  # a wrapper object of Python code: what it wraps
        return None

    def _visit_members(self, cls: type, module: str) -> None:
        skip, function = _NO_CACHE, types.FunctionType
        for member in list(type.__dict__["__dict__"].__get__(cls).values()):
            kind = type(member)  # decided here, as in ``clear_results``: most members are plain
            if kind not in skip and (kind is not function or member.__dict__):
                self.visit(member, module, cls)

    def drop_cached_values(self, namespaces: list[dict[str, Any]]) -> None:
        """Values cached_property stored on live instances are computed again on next use
        (one heap walk, for the classes that may have instances at all)."""
        if not self.properties:
            return
        names = _by_class(self.properties)  # (not a loop here: its variables would hold classes)
        owners = set(map(id, self.properties))
        live = may_have_instances(  # each held once more by ``names`` and maybe ``properties``
            list(names), namespaces, lambda klass: 1 + (id(klass) in owners))
        if not live:
            return
        for ref in gc.get_referrers(*live):
            dropped = names.get(type(ref))
            found = instance_dict(ref) if dropped is not None else None
            for attr in dropped if found is not None else ():  # type: ignore[union-attr]
                found.pop(attr, None)  # type: ignore[union-attr]


def _by_class(properties: dict[type, list[str]]) -> dict[type, set[str]]:
    """The cached_property names of each class and of every class derived from it."""
    names: dict[type, set[str]] = {}
    for owner, attrs in properties.items():
        for klass in subclasses(owner):
            names.setdefault(klass, set()).update(attrs)
    return names


def _clear_dispatch(fn: types.FunctionType) -> None:
    """A ``singledispatch`` function's dispatch cache (it keeps the clearing method)."""
    attrs = fn.__dict__
    clear = attrs.get("_clear_cache")
    if "registry" in attrs and "dispatch" in attrs and type(clear) is types.BuiltinMethodType:
        clear()


def clear_results(namespaces: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Clear what the functions and classes of these modules (name, namespace) cached
    from the old code or values: lru caches, dispatch caches, cached_property values."""
    results, skip, function = _Results(), _NO_CACHE, types.FunctionType
    seen = []
    for module, namespace in namespaces:
        seen.append(namespace)
        for value in list(namespace.values()):
            kind = type(value)  # the common cases decided here: a call costs more than them
            if kind not in skip and (kind is not function or value.__dict__):
                results.visit(value, module)
    results.drop_cached_values(seen)


# -- which classes have instances, without walking the heap ----------------------------------


def _refcount_counts_instances() -> bool:
    """Does every instance of a class add one to the class's reference count here?  (On
    an interpreter where it does not, every class may have instances.)"""
    probe = type("_Probe", (), {})
    before = sys.getrefcount(probe)
    made = [probe() for _ in range(3)]
    counted = sys.getrefcount(probe) - before == len(made)
    del made
    return counted and sys.getrefcount(probe) == before


_COUNTS_INSTANCES = _refcount_counts_instances()
_DESCRIPTORS = (types.GetSetDescriptorType, types.MemberDescriptorType)


def _structural(klass: type) -> int:
    """References every class holds to itself: its ``__mro__`` and the attribute
    descriptors ``type()`` put in its dict (``__dict__``, ``__weakref__``, slots)."""
    own = type.__dict__["__mro__"].__get__(klass, type(klass))
    count = sum(1 for base in own if base is klass)
    for value in type.__dict__["__dict__"].__get__(klass, type(klass)).values():
        if type(value) in _DESCRIPTORS and value.__objclass__ is klass:
            count += 1
    return count


def may_have_instances(
    classes: list[type], namespaces: list[dict[str, Any]], held: Callable[[type], int]
) -> list[type]:
    """Those of ``classes`` that may have live instances.

    Each instance holds a reference to its class.  References that are not
    instances are counted where they are known: the class's own (``_structural``),
    its bindings in ``namespaces``, ``held(klass)`` more by the caller; a probe
    class held the same way gives what this very count adds.  A class whose
    count is all explained has no instance; any reference not explained (an
    importer elsewhere, a subclass, a list) keeps it among those that may.
    """
    if not _COUNTS_INSTANCES or not classes:
        return classes
    bindings = dict.fromkeys([id(klass) for klass in classes], 0)
    for namespace in namespaces:
        for value in namespace.values():
            if id(value) in bindings:
                bindings[id(value)] += 1
    candidates = [type("_Probe", (), {}), *classes]
    counts = [sys.getrefcount(klass) - _structural(klass) for klass in candidates]
    base = counts[0]
    return [klass for klass, count in zip(classes, counts[1:], strict=True)
            if count - base - bindings[id(klass)] - held(klass) - 1 > 0]
