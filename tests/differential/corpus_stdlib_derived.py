"""Hand-written cases: what the standard library derived from the old code.

``functools.cache``/``lru_cache`` results (also when only a module constant
they read changed), ``cached_property`` values stored on instances,
``singledispatch`` registries and dispatch caches, ABC abstract-method sets
and subclass-check caches, ``runtime_checkable`` Protocol member sets,
``total_ordering``'s generated comparisons, and the attributes ``enum`` and
``dataclasses`` compute from a class body.  Each setup uses the machinery
before the edit (a filled cache, a checked ``isinstance``), so a reload that
forgets what was derived answers from the old code.
"""

from __future__ import annotations

from .case import Case, Group

CACHES = """
import functools

FACTOR = 2
OFFSET = 1


@functools.cache
def scaled(x):
    return x * FACTOR


@functools.lru_cache(maxsize=32)
def shifted(x):
    return x + OFFSET


def uncached(x):
    return scaled(x) + shifted(x)


class Report:
    def __init__(self, rows):
        self.rows = rows

    @functools.cached_property
    def total(self):
        return sum(self.rows) * FACTOR
"""
CACHES_SETUP = """
import m
from m import scaled, shifted, uncached, Report
r = Report([1, 2, 3])
(scaled(3), shifted(3), uncached(4), r.total)
"""
CACHE_PROBES = ["scaled(3)", "shifted(3)", "uncached(4)", "r.total", "Report([5]).total"]
caches = Group("stdlib.caches", CACHES, CACHES_SETUP)

DISPATCH = """
import functools


@functools.singledispatch
def render(value):
    return f"object {value!r}"


@render.register
def _(value: int):
    return f"int {value}"


@render.register
def _(value: list):
    return "list of " + ", ".join(render(v) for v in value)


class Shape:
    @functools.singledispatchmethod
    def describe(self, value):
        return "something"

    @describe.register
    def _(self, value: int):
        return "a number"
"""
DISPATCH_SETUP = """
from m import render, Shape
(render(True), render(1), render([1, "a"]), render(1.5), Shape().describe(3))
"""
DISPATCH_PROBES = ["render(True)", "render(1)", "render([1, 'a'])", "render(1.5)",
                   "Shape().describe(3)", "Shape().describe('x')"]
dispatch = Group("stdlib.singledispatch", DISPATCH, DISPATCH_SETUP)

ABSTRACT = """
from abc import ABC, abstractmethod


class Shape(ABC):
    @abstractmethod
    def area(self):
        ...

    def describe(self):
        return f"{type(self).__name__} of area {self.area()}"


class Square(Shape):
    def __init__(self, side=2):
        self.side = side

    def area(self):
        return self.side ** 2


class Circle(Shape):
    def area(self):
        return 3


class Sized(ABC):
    @classmethod
    def __subclasshook__(cls, other):
        return hasattr(other, "__len__")
"""
ABSTRACT_SETUP = """
from m import Shape, Square, Circle, Sized
(Square().describe(), isinstance([], Sized), isinstance(3, Sized), issubclass(Square, Sized))
"""
ABSTRACT_PROBES = ["sorted(Square.__abstractmethods__)", "sorted(Shape.__abstractmethods__)",
                   "Square().describe()", "Circle().describe()", "isinstance([], Sized)",
                   "isinstance(3, Sized)", "issubclass(Square, Sized)"]
abstract = Group("stdlib.abc", ABSTRACT, ABSTRACT_SETUP)

PROTOCOL = """
from typing import Protocol, runtime_checkable


@runtime_checkable
class Closer(Protocol):
    def close(self):
        ...


class File:
    def close(self):
        return "closed"


class Door:
    def close(self):
        return "shut"

    def lock(self):
        return "locked"
"""
PROTOCOL_SETUP = """
from m import Closer, File, Door
(isinstance(File(), Closer), isinstance(Door(), Closer), issubclass(Door, Closer))
"""
PROTOCOL_PROBES = ["isinstance(File(), Closer)", "isinstance(Door(), Closer)",
                   "issubclass(File, Closer)", "issubclass(Door, Closer)", "isinstance(3, Closer)"]
protocol = Group("stdlib.protocol", PROTOCOL, PROTOCOL_SETUP)

ORDERING = """
import functools


@functools.total_ordering
class Version:
    def __init__(self, n):
        self.n = n

    def __eq__(self, other):
        return self.n == other.n

    def __lt__(self, other):
        return self.n < other.n
"""
ORDERING_SETUP = "from m import Version\nv1, v2 = Version(1), Version(2)\n"
ORDERING_PROBES = ["v1 < v2", "v1 <= v2", "v1 > v2", "v1 >= v2", "Version(3) >= Version(3)",
                   "sorted(n for n in ('__lt__', '__le__', '__gt__', '__ge__') "
                   "if n in vars(Version))"]
ordering = Group("stdlib.total_ordering", ORDERING, ORDERING_SETUP)

DERIVED = """
import dataclasses
import enum


class Colour(enum.Enum):
    RED = 1
    GREEN = 2

    def label(self):
        return self.name.lower()

    @classmethod
    def _missing_(cls, value):
        return cls.RED


class Perm(enum.Flag):
    R = 4
    W = 2


@dataclasses.dataclass(order=True)
class Item:
    name: str
    qty: int = 0
    tags: list = dataclasses.field(default_factory=list)

    def __post_init__(self):
        self.name = self.name.strip()
"""
DERIVED_SETUP = "from m import Colour, Perm, Item\nit = Item(' a ', 1)\n"
ENUM_PROBES = ["list(Colour)", "Colour(2)", "Colour(7)", "Colour.GREEN.label()",
               "sorted(Colour.__members__)", "Perm.R | Perm.W", "list(Perm)"]
DATACLASS_PROBES = ["Item(' b ')", "Item('a', 2) < Item('b', 1)", "Item('a', 1) == Item('a', 2)",
                    "it.qty",
                    "[f.name for f in dataclasses.fields(Item)]", "Item.__match_args__"]
derived = Group("stdlib.derived", DERIVED, "import dataclasses\n" + DERIVED_SETUP)

CASES: list[Case] = [
    caches.edit("cache_constant_read", "FACTOR = 2", "FACTOR = 5", CACHE_PROBES),
    caches.edit("lru_cache_constant_read", "OFFSET = 1", "OFFSET = 10", CACHE_PROBES),
    caches.edit("cache_body", "return x * FACTOR", "return x * FACTOR + 100", CACHE_PROBES,
                must_apply=True),
    caches.edit("lru_cache_body", "return x + OFFSET", "return x - OFFSET", CACHE_PROBES,
                must_apply=True),
    caches.edit("cached_property_body", "sum(self.rows) * FACTOR", "max(self.rows) * FACTOR",
                CACHE_PROBES, must_apply=True),
    dispatch.edit("impl_body", 'f"int {value}"', 'f"integer {value}"', DISPATCH_PROBES,
                  must_apply=True),
    dispatch.edit("impl_added_for_cached_type", "\n\n@render.register\ndef _(value: list):",
                  '\n\n@render.register\ndef _(value: bool):\n    return "bool"\n\n\n'
                  "@render.register\ndef _(value: list):", DISPATCH_PROBES),
    dispatch.edit("impl_type_changed", "def _(value: int):", "def _(value: float):",
                  DISPATCH_PROBES),
    dispatch.edit("method_impl_body", 'return "a number"', 'return "an int"', DISPATCH_PROBES,
                  must_apply=True),
    abstract.edit("abstract_method_added", "    def describe(self):",
                  "    @abstractmethod\n    def perimeter(self):\n        ...\n\n"
                  "    def describe(self):", [*ABSTRACT_PROBES, "Square().perimeter()"]),
    abstract.edit("abstract_method_removed", "    @abstractmethod\n    def area(self):",
                  "    def area(self):", ABSTRACT_PROBES),
    abstract.edit("abstract_method_implemented", "    def area(self):\n        return 3\n",
                  "    def area(self):\n        return 3\n\n    def perimeter(self):\n"
                  "        return 6\n", ABSTRACT_PROBES),
    abstract.edit("subclasshook_body", 'hasattr(other, "__len__")', 'hasattr(other, "__index__")',
                  ABSTRACT_PROBES),
    protocol.edit("member_added", "    def close(self):\n        ...\n",
                  "    def close(self):\n        ...\n\n    def lock(self):\n        ...\n",
                  PROTOCOL_PROBES),
    protocol.edit("member_removed", "class Closer(Protocol):\n    def close(self):\n        ...\n",
                  "class Closer(Protocol):\n    pass\n", PROTOCOL_PROBES),
    protocol.edit("implementer_gains_member", "        return \"closed\"\n",
                  '        return "closed"\n\n    def lock(self):\n        return "locked"\n',
                  PROTOCOL_PROBES),
    ordering.edit("root_body", "return self.n < other.n", "return self.n > other.n",
                  ORDERING_PROBES, must_apply=True),
    ordering.edit("root_changed", "    def __lt__(self, other):\n        return self.n < other.n",
                  "    def __gt__(self, other):\n        return self.n < other.n",
                  ORDERING_PROBES),
    derived.edit("enum_member_added", "    GREEN = 2\n", "    GREEN = 2\n    BLUE = 3\n",
                 ENUM_PROBES),
    derived.edit("enum_alias_added", "    GREEN = 2\n", "    GREEN = 2\n    VERDE = 2\n",
                 ENUM_PROBES),
    derived.edit("enum_method_body", "self.name.lower()", "self.name.title()", ENUM_PROBES,
                 must_apply=True),
    derived.edit("enum_missing_body", "return cls.RED", "return cls.GREEN", ENUM_PROBES,
                 must_apply=True),
    derived.edit("flag_member_added", "    W = 2\n", "    W = 2\n    X = 1\n", ENUM_PROBES),
    derived.edit("dataclass_post_init", "self.name.strip()", "self.name.strip().upper()",
                 DATACLASS_PROBES, must_apply=True),
    derived.edit("dataclass_default", "qty: int = 0", "qty: int = 1", DATACLASS_PROBES),
    derived.edit("dataclass_order_flag", "@dataclasses.dataclass(order=True)",
                 "@dataclasses.dataclass(order=False)", DATACLASS_PROBES),
    derived.edit("dataclass_field_added", "    tags: list",
                 "    note: str = ''\n    tags: list", DATACLASS_PROBES),
]

PRELOAD = ["functools", "abc", "typing", "enum", "dataclasses"]
