"""Looking at user and library objects without running any of their code.

``isinstance``, ``getattr``, ``hasattr``, ``==``, ``hash``, ``bool`` and ``repr``
may all run an object's own code: a werkzeug proxy (Flask's ``request``)
raises outside a request, Django's lazy ``settings`` configures itself or
raises, a ``lazy_object_proxy.Proxy`` runs its factory, a numpy array refuses
``bool``.  The engine meets such objects in every module namespace, so it
looks at objects only through what is here: an object's real type (never its
``__class__``), the dict ``type()`` gave its instances, its slots, the members
of builtin types read through their C descriptors, and what it holds as the
garbage collector sees it (``gc.get_referents``, which runs no Python code).
"""

from __future__ import annotations

import functools
import gc
import types
from collections.abc import Iterator

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    from typing import TypeGuard, TypeVar

    T = TypeVar("T")

MISSING = object()
_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement or type()
_CONTAINERS = (list, tuple, dict, set, frozenset)
LRU_WRAPPER = type(functools.lru_cache(None)(lambda: None))
_CELL_TYPE = types.CellType


def is_a(obj: object, cls: type[T] | tuple[type[T], ...]) -> TypeGuard[T]:
    """``isinstance`` by the object's real type: a proxy is never asked for ``__class__``."""
    return issubclass(type(obj), cls)


def member(base: type, obj: object, name: str) -> object:
    """A builtin type's own member (``staticmethod.__func__``, ``property.fget``), read
    through ``base``'s descriptor: a subclass cannot put code in the way."""
    return base.__dict__[name].__get__(obj, type(obj))


def class_module(cls: type) -> object:
    """``cls.__module__`` as ``type`` stores it (a metaclass property cannot answer)."""
    return type.__dict__["__module__"].__get__(cls, type(cls))


def made_in(obj: object, module: str) -> TypeGuard[type]:
    """``obj`` is a class whose ``__module__`` is ``module`` (a str compared, nothing else)."""
    if not is_a(obj, type):
        return False
    name = class_module(obj)
    return type(name) is str and name == module


def class_lookup(cls: type, name: str, default: object = MISSING) -> object:
    """The raw value ``name`` has in ``cls`` or the first base that defines it (no
    descriptor is run, no metaclass ``__getattr__`` asked)."""
    for klass in type.__dict__["__mro__"].__get__(cls, type(cls)):
        namespace = type.__dict__["__dict__"].__get__(klass, type(klass))
        if name in namespace:
            return namespace[name]
    return default


def instance_dict(obj: object) -> dict | None:
    """The dict ``type()`` made for ``obj``'s attributes, if its class uses that one (a
    proxy that defines its own ``__dict__`` forwards it elsewhere: not read)."""
    if type(obj) is types.FunctionType or type(obj) is LRU_WRAPPER:
        found = member(type(obj), obj, "__dict__")
        return found if type(found) is dict else None
    if is_a(obj, types.ModuleType):
        found = member(types.ModuleType, obj, "__dict__")
        return found if type(found) is dict else None
    for klass in type(obj).__mro__:
        entry = klass.__dict__.get("__dict__")
        if entry is None:
            continue
        if type(entry) is types.GetSetDescriptorType and klass.__flags__ & _HEAP_TYPE:
            try:
                found = entry.__get__(obj, type(obj))
            except Exception:  # a dict-less instance of a class that names one: none
                return None
            return found if type(found) is dict else None
        return None
    return None


def module_global(module: object, name: str) -> str | None:
    """A module's own str global: neither a module ``__getattr__`` nor an object put in
    ``sys.modules`` in a module's place is asked."""
    if not is_a(module, types.ModuleType):
        return None
    value = (instance_dict(module) or {}).get(name)
    return value if type(value) is str else None


def own_attribute(obj: object, name: str, default: object = MISSING) -> object:
    """``obj.name`` when it is the object's own data (its instance dict or a slot);
    ``default`` otherwise: a property, ``__getattr__`` or proxy is never run."""
    found = instance_dict(obj)
    if found is not None and name in found:
        return dict.__getitem__(found, name)
    entry = class_lookup(type(obj), name)
    if type(entry) is types.MemberDescriptorType:
        try:
            return entry.__get__(obj, type(obj))
        except AttributeError:  # an empty slot
            return default
    return default


def wrapped(obj: object) -> object:
    """What ``functools.wraps`` (or a wrapper class) recorded as wrapped, read statically."""
    return own_attribute(obj, "__wrapped__", None)


def function_of(obj: object) -> object:
    """The function a method, ``staticmethod`` or ``classmethod`` holds (None for others)."""
    for base in (types.MethodType, staticmethod, classmethod):
        if is_a(obj, base):
            return member(base, obj, "__func__")
    return None


def is_lru_wrapper(obj: object) -> bool:
    """An ``lru_cache``/``cache`` wrapper: the C one, or the pure-Python fallback."""
    if type(obj) is LRU_WRAPPER:
        return True
    if type(obj) is types.FunctionType:
        attrs = obj.__dict__
        return "cache_clear" in attrs and "__wrapped__" in attrs
    return False


def filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - probing an empty cell raises
    except ValueError:
        return False
    return True


def held(obj: object) -> Iterator[object]:
    """What ``obj`` holds: a function's closure and attributes; for other objects (not
    classes, modules or builtin containers) the values the collector sees in them,
    their attribute dicts opened."""
    if type(obj) is types.FunctionType:
        for cell in obj.__closure__ or ():
            if filled(cell):
                yield cell.cell_contents
        yield from obj.__dict__.values()
        return
    if is_a(obj, (type, types.ModuleType, *_CONTAINERS)):
        return
    for value in gc.get_referents(obj):
        if type(value) is dict:
            yield from value.values()
        elif value is not type(obj):
            yield value


def held_callables(obj: object) -> list[object]:
    """The callables ``obj`` holds (``callable`` reads the type's slot: no code runs)."""
    return [v for v in held(obj) if callable(v) and not is_a(v, (type, types.ModuleType))]
