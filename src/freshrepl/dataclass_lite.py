"""``@dataclass_lite``: what ``@dataclass`` gives the start-up path, without its import cost.

``dataclasses`` pulls in ``inspect`` and generates code for every class with
``exec``: about 10 ms for the messages of ``protocol.py`` alone, paid by both
processes before the first input can run.  ``dataclass_lite`` reads the same class
body (annotations, defaults, ``field(default_factory=...)``) and gives the
class one shared ``__init__``, ``__eq__`` and ``__repr__``.  To the type
checker the names *are* ``dataclasses.dataclass`` and ``dataclasses.field``,
so constructors are checked exactly as before.

Supported: fields with or without defaults, ``field(default=...,
default_factory=..., compare=...)``, ``ClassVar`` annotations (not fields);
no inheritance of fields, no options to the decorator.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass_lite
    from dataclasses import field
else:
    _MISSING = object()

    class _Field:
        __slots__ = ("default", "factory", "compare")

        def __init__(self, default: object, factory: object, compare: bool) -> None:
            self.default, self.factory, self.compare = default, factory, compare

    def field(*, default: object = _MISSING, default_factory: object = _MISSING,
              compare: bool = True) -> object:
        """A field's default made anew for every instance (or kept out of ``==``)."""
        return _Field(default, default_factory, compare)

    def dataclass_lite(cls: type) -> type:
        """Give ``cls`` the ``__init__``, ``__eq__`` and ``__repr__`` of its annotated fields."""
        specs = []
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = cls.__dict__.get(name, _MISSING)
            spec = value if isinstance(value, _Field) else _Field(value, _MISSING, True)
            if spec.factory is not _MISSING or spec.default is _MISSING:
                if name in cls.__dict__:
                    delattr(cls, name)  # as dataclasses does: no shared class-level value
            else:
                setattr(cls, name, spec.default)
            specs.append((name, spec))
        cls.__lite_fields__ = tuple(specs)
        cls.__init__ = _init
        cls.__eq__ = _eq
        cls.__hash__ = None
        cls.__repr__ = _repr
        return cls

    def _init(self: object, *args: object, **kwargs: object) -> None:
        specs = type(self).__lite_fields__
        if len(args) > len(specs):
            raise TypeError(f"{type(self).__name__}() takes {len(specs)} arguments, "
                            f"{len(args)} given")
        for index, (name, spec) in enumerate(specs):
            if index < len(args):
                if name in kwargs:
                    raise TypeError(f"{type(self).__name__}() got {name!r} twice")
                value = args[index]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif spec.factory is not _MISSING:
                value = spec.factory()
            elif spec.default is not _MISSING:
                value = spec.default
            else:
                raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
            object.__setattr__(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got unexpected {sorted(kwargs)}")

    def _compared(self: object) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name, spec in self.__lite_fields__ if spec.compare)

    def _eq(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _compared(self) == _compared(other)

    def _repr(self: object) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name, _ in self.__lite_fields__)
        return f"{type(self).__qualname__}({shown})"


def field_names(cls: type) -> list[str]:
    """The names of a ``dataclass_lite`` class's fields, in order (``dataclasses.fields``)."""
    return [name for name, _ in vars(cls)["__lite_fields__"]]


def as_dict(value: object) -> object:
    """An instance as a dict, recursively through such instances, lists and dicts (``dataclasses.asdict``)."""
    specs = getattr(type(value), "__lite_fields__", None)
    if specs is not None:
        return {name: as_dict(getattr(value, name)) for name, _ in specs}
    if isinstance(value, (list, tuple)):
        if not any(map(_converts, value)):
            return value  # plain items: the same object (no copy of a delta's 2,000 names)
        return type(value)(as_dict(item) for item in value)
    if isinstance(value, dict):
        if not any(map(_converts, value.values())):
            return value
        return {key: as_dict(item) for key, item in value.items()}
    return value


def _converts(value: object) -> bool:
    """Would ``as_dict`` make something new of ``value``?"""
    return isinstance(value, (list, tuple, dict)) or hasattr(type(value), "__lite_fields__")
