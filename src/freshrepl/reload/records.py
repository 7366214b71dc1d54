"""Whether the machinery that built a function or class may have kept a record of it.

A decorator, a base's ``__init_subclass__``, a metaclass or a descriptor's
``__set_name__`` runs once, when the object is built, and may store it anywhere:
a registry, a dispatch table, SQLAlchemy's ``MetaData``.  When the statement
that built the object leaves the file (or stops building it), a fresh process
has no such record, and nothing the reload does undoes it.  So ``rules``
refuses, unless the builder is known to keep nothing:

- a stdlib builder that keeps no record (``property``, ``dataclass``,
  ``lru_cache``, ``enum``'s metaclass ...);
- Python code that can reach nothing but what it was given: it reads no global
  besides pure builtins, ``functools.wraps`` and ``time``'s clocks, writes no
  global, no item (``x[k] = v``) and imports nothing, and looks up no
  attribute it did not set itself besides names such as ``__name__`` (so it
  cannot reach ``REGISTRY.append`` or ``cls.registry``).  The functions it
  defines (wrappers) are read too: it may call them at once.  A decorator
  factory's arguments must be plain values.
"""

from __future__ import annotations

import abc
import ast
import builtins
import contextlib
import dataclasses
import dis
import enum
import functools
import time
import types
import typing
from collections.abc import Callable, Iterator

from freshrepl.reload.objects import function_of

_INERT: tuple[object, ...] = (
    property, staticmethod, classmethod, functools.cached_property, abc.abstractmethod,
    functools.cache, functools.lru_cache, functools.wraps, functools.total_ordering,
    functools.singledispatch, functools.singledispatchmethod, dataclasses.dataclass,
    typing.final, typing.runtime_checkable, contextlib.contextmanager,
    contextlib.asynccontextmanager, enum.unique, getattr(typing, "override", property),
)
# Metaclasses from these modules keep no record of the classes they build.
_INERT_META_MODULES = frozenset({"abc", "enum", "typing", "_typing"})
_ACCESSORS = frozenset({"setter", "getter", "deleter"})
_PURE_BUILTINS = frozenset({
    "print", "len", "str", "repr", "format", "isinstance", "issubclass", "callable",
    "hasattr", "tuple", "list", "dict", "set", "frozenset", "int", "float", "bool", "sorted",
    "min", "max", "sum", "any", "all", "enumerate", "zip", "range", "abs", "round",
    "Exception", "TypeError", "ValueError", "AttributeError", "KeyError",
    "RuntimeError", "NotImplementedError",
})
_WRAPPING = (functools, functools.wraps, functools.update_wrapper, time)
_SAFE_ATTRS = frozenset({
    "wraps", "update_wrapper", "__name__", "__qualname__", "__doc__", "__module__",
    "__wrapped__", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "time",
    "time_ns",
})
_WRITES = frozenset({
    "STORE_GLOBAL", "DELETE_GLOBAL", "STORE_SUBSCR", "DELETE_SUBSCR", "STORE_SLICE",
    "DELETE_SLICE", "STORE_NAME", "DELETE_NAME", "IMPORT_NAME", "IMPORT_STAR",
})
_GLOBAL_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_NAME"})
_ATTR_LOADS = frozenset({"LOAD_ATTR", "LOAD_METHOD", "LOAD_SUPER_ATTR"})
_ATTR_STORES = frozenset({"STORE_ATTR", "DELETE_ATTR"})

_SIMPLE = (int, float, complex, str, bytes, bool, type(None))

Evaluate = Callable[[ast.expr], object]


def is_simple(value: object) -> bool:
    """Plain immutable data: a factory argument that cannot be a registry."""
    if isinstance(value, tuple):
        return all(is_simple(v) for v in value)
    return isinstance(value, _SIMPLE)


def decorator_may_record(node: ast.expr, evaluate: Evaluate) -> bool:
    """May the decorator expression ``node`` have kept a record of what it decorated?"""
    if isinstance(node, ast.Attribute) and node.attr in _ACCESSORS:
        return False  # @prop.setter: a new property, nothing stored elsewhere
    call = node if isinstance(node, ast.Call) else None
    target = call.func if call is not None else node
    try:
        value = evaluate(target)
    except Exception:  # gone or unknown: cannot tell
        return True
    if any(value is inert for inert in _INERT):
        return False
    if call is not None:
        arguments = [*call.args, *(k.value for k in call.keywords)]
        if not all(_plain_argument(a, evaluate) for a in arguments):
            return True  # a container or callable handed to the factory may be the registry
    return not _keeps_nothing(value)


def hook_may_record(hook: object) -> bool:
    """May an ``__init_subclass__`` or ``__set_name__`` have kept a record of its class?"""
    return not _keeps_nothing(function_of(hook) or hook, hook=True)


def metaclass_may_record(meta: type) -> bool:
    return meta not in (type, abc.ABCMeta) and meta.__module__ not in _INERT_META_MODULES


def _plain_argument(node: ast.expr | None, evaluate: Evaluate) -> bool:
    """A constant, a name for a plain value, or a display (``{1, 2}``) built of those:
    a new object at each use, so no registry kept elsewhere."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_plain_argument(e, evaluate) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(_plain_argument(e, evaluate) for e in [*node.keys, *node.values])
    if not isinstance(node, (ast.Name, ast.Attribute)):
        return False
    try:
        return is_simple(evaluate(node))
    except Exception:  # a name that does not resolve: not known to be plain
        return False


def _keeps_nothing(fn: object, hook: bool = False) -> bool:
    """Python code that, at build time, reaches nothing but what it was given (module doc)."""
    if type(fn) is not types.FunctionType:
        return False
    code = fn.__code__
    if set(code.co_freevars) - {"__class__"}:
        return False  # made by a factory: its cells may hold anything
    allowed_attrs = _SAFE_ATTRS | ({"__init_subclass__"} if hook else set())
    for part in _nested_codes(code):
        names, attrs, stored = _names_used(part)
        if names is None:
            return False
        if attrs - allowed_attrs - stored:
            return False
        if not all(_pure_global(fn.__globals__, n, hook) for n in names):
            return False
    return True


def _nested_codes(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and every function, class and comprehension defined in it."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _nested_codes(const)


def _names_used(code: types.CodeType) -> tuple[set[str] | None, set[str], set[str]]:
    """(globals read, attributes read, attributes set); globals None if it writes state."""
    names: set[str] = set()
    attrs: set[str] = set()
    stored: set[str] = set()
    for ins in dis.get_instructions(code):
        if ins.opname in _WRITES:
            return None, attrs, stored
        if ins.opname in _GLOBAL_LOADS:
            names.add(ins.argval)
        elif ins.opname in _ATTR_LOADS:
            attrs.add(ins.argval)
        elif ins.opname in _ATTR_STORES:
            stored.add(ins.argval)
    return names, attrs, stored


def _pure_global(namespace: dict, name: str, hook: bool) -> bool:
    if name in namespace:
        return any(namespace[name] is w for w in _WRAPPING)
    builtin_names = _PURE_BUILTINS | ({"super"} if hook else set())
    return name in builtin_names and hasattr(builtins, name)
