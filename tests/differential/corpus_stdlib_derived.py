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
import functools
import m
from m import scaled, shifted, uncached, Report
r = Report([1, 2, 3])
@functools.cache
def at_prompt(x):
    return uncached(x) * 10
(scaled(3), shifted(3), uncached(4), r.total, at_prompt(4))
"""
CACHE_PROBES = ["scaled(3)", "shifted(3)", "uncached(4)", "r.total", "Report([5]).total",
                "at_prompt(4)"]
caches = Group("stdlib.caches", CACHES, CACHES_SETUP)
CONFIG = "RATE = 3\n"
PRICING = """
import functools

import config


@functools.lru_cache
def price(n):
    return n * config.RATE
"""
pricing = Group("stdlib.caches", {"config.py": CONFIG, "pricing.py": PRICING},
                "from pricing import price\nprice(2)\n", file="config.py")

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


class Blob(Shape):
    pass


class Plain:
    def area(self):
        return 1


class Sized(ABC):
    @classmethod
    def __subclasshook__(cls, other):
        return hasattr(other, "__len__")
"""
ABSTRACT_SETUP = """
from m import Shape, Square, Circle, Blob, Plain, Sized
(Square().describe(), isinstance([], Sized), isinstance(3, Sized), issubclass(Square, Sized), isinstance(Plain(), Shape))
"""
ABSTRACT_PROBES = ["sorted(Square.__abstractmethods__)", "sorted(Shape.__abstractmethods__)",
                   "Square().describe()", "Circle().describe()", "isinstance([], Sized)",
                   "isinstance(3, Sized)", "issubclass(Square, Sized)",
                   "sorted(Blob.__abstractmethods__)", "type(Blob()).__name__",
                   "isinstance(Plain(), Shape)"]
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
    def __init__(self, text):
        self.parts = tuple(int(p) for p in text.split("."))

    def __eq__(self, other):
        return self.parts == other.parts

    def __lt__(self, other):
        return self.parts < other.parts
"""
ORDERING_SETUP = 'from m import Version\nv1, v2 = Version("1.2"), Version("1.10")\n'
ORDERING_PROBES = ["v1 < v2", "v1 <= v2", "v1 > v2", "v1 >= v2", 'Version("3") >= Version("3")',
                   "sorted(n for n in ('__lt__', '__le__', '__gt__', '__ge__') "
                   "if n in vars(Version))"]
ordering = Group("stdlib.total_ordering", ORDERING, ORDERING_SETUP)

DERIVED = """
import dataclasses
import enum


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 3

    @property
    def double(self):
        return self.value * 2

    def __str__(self):
        return self.name.title()


class Access(enum.Flag):
    READ = 1
    WRITE = 2


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int = 0
    label: str = dataclasses.field(default="", compare=False)

    def moved(self, dx):
        return dataclasses.replace(self, x=self.x + dx)
"""
DERIVED_SETUP = """
import dataclasses
from m import Level, Access, Point
both = Access.READ | Access.WRITE
p = Point(1, 2)
(hash(p), Level(3), str(Level.LOW), Level.HIGH.double)
"""
ENUM_PROBES = ["[(x.name, x.value, x.double, str(x)) for x in Level]", "Level(3)",
               'Level["HIGH"]', "sorted(Level.__members__)", "Access.READ | Access.WRITE",
               "list(Access)", "Access(3)"]
DATACLASS_PROBES = ['Point(1, 2) == Point(1, 2, "a")', 'hash(Point(1, 2)) == hash(Point(1, 2, "b"))',
                    "Point(1).moved(2)", "p.moved(1)", "Point.__match_args__",
                    "dataclasses.asdict(Point(3))", "Point(1) < Point(2)"]
derived = Group("stdlib.derived", DERIVED, DERIVED_SETUP)

LOGGING = """
import io
import logging

STREAM = io.StringIO()
LOG = logging.getLogger(__name__)
LOG.addHandler(logging.StreamHandler(STREAM))
LOG.setLevel(logging.INFO)


def work(n):
    LOG.info("working on %s", n)
    return n * 2
"""
LOGGING_PROBES = ["[type(h).__name__ for h in m.LOG.handlers]", "m.LOG.level", "work(3)"]
logging_ = Group("stdlib.logging", LOGGING, "import m\nfrom m import work\nwork(1)\n")

CASES: list[Case] = [
    logging_.edit("handler_line_changed", "LOG.addHandler(logging.StreamHandler(STREAM))",
                  "LOG.addHandler(logging.StreamHandler(STREAM))  # to the buffer",
                  LOGGING_PROBES),
    logging_.edit("handler_changed", "logging.StreamHandler(STREAM)", "logging.NullHandler()",
                  LOGGING_PROBES),
    logging_.edit("level_changed", "LOG.setLevel(logging.INFO)", "LOG.setLevel(logging.DEBUG)",
                  LOGGING_PROBES),
    caches.edit("cache_constant_read", "FACTOR = 2", "FACTOR = 5", CACHE_PROBES),
    caches.edit("lru_cache_constant_read", "OFFSET = 1", "OFFSET = 10", CACHE_PROBES),
    pricing.edit("cache_reads_other_module_constant", "RATE = 3", "RATE = 4", ["price(2)"]),
    caches.edit("function_under_a_prompt_cache", "return scaled(x) + shifted(x)",
                "return scaled(x) - shifted(x)", CACHE_PROBES, must_apply=True),
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
    abstract.edit("virtual_subclass_registered", "\n\nclass Sized(ABC):",
                  "\n\nShape.register(Plain)\n\n\nclass Sized(ABC):", ABSTRACT_PROBES),
    abstract.edit("subclasshook_body", 'hasattr(other, "__len__")', 'hasattr(other, "__index__")',
                  ABSTRACT_PROBES),
    protocol.edit("member_added", "    def close(self):\n        ...\n",
                  "    def close(self):\n        ...\n\n    def lock(self):\n        ...\n",
                  PROTOCOL_PROBES),
    protocol.edit("data_member_added", "class Closer(Protocol):\n",
                  "class Closer(Protocol):\n    name: str\n\n", PROTOCOL_PROBES),
    protocol.edit("member_removed", "class Closer(Protocol):\n    def close(self):\n        ...\n",
                  "class Closer(Protocol):\n    pass\n", PROTOCOL_PROBES),
    protocol.edit("implementer_gains_member", "        return \"closed\"\n",
                  '        return "closed"\n\n    def lock(self):\n        return "locked"\n',
                  PROTOCOL_PROBES),
    ordering.edit("root_body", "return self.parts < other.parts",
                  "return self.parts > other.parts",
                  ORDERING_PROBES, must_apply=True),
    ordering.edit("root_changed", "def __lt__(self, other):", "def __gt__(self, other):",
                  ORDERING_PROBES),
    derived.edit("enum_alias_added", "    HIGH = 3\n", "    HIGH = 3\n    TOP = 3\n", ENUM_PROBES),
    derived.edit("enum_property_body", "self.value * 2", "self.value * 10", ENUM_PROBES,
                 must_apply=True),
    derived.edit("enum_str_body", "self.name.title()", "self.name.lower()", ENUM_PROBES,
                 must_apply=True),
    derived.edit("flag_member_added_after_composite", "    WRITE = 2\n",
                 "    WRITE = 2\n    RUN = 4\n", ENUM_PROBES),
    derived.edit("dataclass_compare_flag", "compare=False", "compare=True", DATACLASS_PROBES),
    derived.edit("dataclass_order_added", "@dataclasses.dataclass(frozen=True)",
                 "@dataclasses.dataclass(frozen=True, order=True)", DATACLASS_PROBES),
    derived.edit("dataclass_field_added", "    y: int = 0\n", "    y: int = 0\n    z: int = 0\n",
                 DATACLASS_PROBES),
    derived.edit("dataclass_method_body", "x=self.x + dx", "y=self.y + dx", DATACLASS_PROBES,
                 must_apply=True),
]

PRELOAD = ["functools", "abc", "typing", "enum", "dataclasses", "logging", "io"]
