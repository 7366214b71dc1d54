"""Hand-written cases: edits that reach machinery indirectly or undo what it did.

A module-level constant read by a class body, a decorator argument or a
class keyword changes what the machinery builds although the class or
function statement itself did not change; a def or class removed from the
file leaves behind what its decorator or ``__init_subclass__`` registered;
a method gains ``super()`` in a class the machinery re-created (attrs slots);
decorators applied without ``@`` or in ``__main__``; closures kept in less
usual places (``functools.partial``, a default argument, a class attribute).
"""

from __future__ import annotations

from .case import Case, case, change

CONSTANTS = """
import dataclasses
import enum
import functools

import attr
import msgspec
from pydantic import BaseModel

DEFAULT = 0
WIDTH = 2
KEY = "a"


class Model(BaseModel):
    n: int = DEFAULT


@dataclasses.dataclass
class Data:
    n: int = DEFAULT


@attr.define
class Attrs:
    n: int = DEFAULT


class Struct(msgspec.Struct):
    n: int = DEFAULT


class Level(enum.Enum):
    LOW = DEFAULT
    HIGH = 10


def repeat(n):
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(x):
            return [fn(x)] * n
        return wrapper
    return deco


@repeat(WIDTH)
def rep(x):
    return x


class Plugin:
    registry = {}

    def __init_subclass__(cls, key=None, **kwargs):
        super().__init_subclass__(**kwargs)
        Plugin.registry[key] = cls


class Alpha(Plugin, key=KEY):
    pass
"""
CONSTANTS_SETUP = """
import m
from m import Model, Data, Attrs, Struct, Level, rep, Plugin
"""


def _constant(name: str, old: str, new: str, probes: list[str]) -> Case:
    return case(f"indirect.{name}", CONSTANTS, change(old, new), CONSTANTS_SETUP, probes)


CONSTANT_CASES = [
    _constant("pydantic_default_from_constant", "DEFAULT = 0", "DEFAULT = 5",
              ["Model()", "Data()", "Attrs()", "Struct()", "[x.value for x in Level]"]),
    _constant("decorator_argument_from_constant", "WIDTH = 2", "WIDTH = 3", ["rep(1)", "m.rep(1)"]),
    _constant("class_keyword_from_constant", 'KEY = "a"', 'KEY = "b"', ["sorted(Plugin.registry)"]),
]

REMOVALS = """
import functools


@functools.singledispatch
def show(x):
    return "object"


@show.register
def _(x: int):
    return "int"


def mine(fn):
    fn.mine = True
    return fn


@mine
def kept():
    return "kept"
"""
REMOVAL_CASES = [
    case("indirect.singledispatch_impl_removed", REMOVALS,
         change('@show.register\ndef _(x: int):\n    return "int"\n', ""),
         "import m\nfrom m import show\n", ["show(1)", 'show("s")']),
    case("indirect.decorator_removed_from_def", REMOVALS, change("@mine\ndef kept", "def kept"),
         "import m\nfrom m import kept\n", ['getattr(kept, "mine", None)', "kept()"]),
]

SUPER = """
import attr
from pydantic import BaseModel


@attr.define
class P:
    x: int = 1

    def describe(self):
        return "P"


class Base(BaseModel):
    x: int = 1

    def describe(self):
        return "base"


class Sub(Base):
    def describe(self):
        return "sub"
"""
SUPER_CASES = [
    case("indirect.attrs_slots_method_gains_super", SUPER,
         change('        return "P"\n', '        return "P" + str(super().__eq__(self))\n'),
         "import m\nfrom m import P, Sub\np = P()\ns = Sub()\n", ["p.describe()", "P().describe()"]),
    case("indirect.pydantic_method_gains_super", SUPER,
         change('        return "sub"\n', '        return "sub+" + super().describe()\n'),
         "import m\nfrom m import P, Sub\np = P()\ns = Sub()\n", ["s.describe()", "Sub().describe()"]),
]

DECORATED_ELSEWHERE = """
import functools


def shout(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args) + "!"
    return wrapper


def hello(name):
    return "hello " + name


loud = shout(hello)
"""
DECORATED_ELSEWHERE_SETUP = """
import m
from m import loud
@m.shout
def mine(name):
    return "mine " + name
"""
ELSEWHERE_CASES = [
    case("indirect.decorator_applied_without_at", DECORATED_ELSEWHERE,
         change('+ "!"', '+ "?"'), DECORATED_ELSEWHERE_SETUP, ['loud("x")', 'm.loud("x")']),
    case("indirect.decorator_applied_in_main", DECORATED_ELSEWHERE,
         change('+ "!"', '+ "?"'), DECORATED_ELSEWHERE_SETUP, ['mine("x")']),
]

CLOSURE_PLACES = """
import functools


def make_scaler(k):
    def scale(x):
        return x * k
    return scale


PARTIAL = functools.partial(make_scaler(2), 5)


def use_default(x, f=make_scaler(3)):
    return f(x)


class Holder:
    op = staticmethod(make_scaler(4))
"""
CLOSURE_PLACES_SETUP = """
import collections
import m
from m import use_default, Holder
queue = collections.deque([m.make_scaler(5)])
"""


def _closure_place(name: str, probes: list[str]) -> Case:
    return case(f"indirect.closure_in_{name}", CLOSURE_PLACES, change("x * k", "x * k + 1"),
                CLOSURE_PLACES_SETUP, probes)


CLOSURE_PLACE_CASES = [
    _closure_place("partial", ["m.PARTIAL()"]),
    _closure_place("default_argument", ["use_default(1)"]),
    _closure_place("class_attribute", ["Holder.op(1)", "Holder().op(1)"]),
    _closure_place("deque", ["queue[0](1)"]),
]

STAR = """
__all__ = ["one"]


def one():
    return 1
"""
STAR_CASES = [
    case("indirect.star_import_new_name", STAR,
         [change('__all__ = ["one"]', '__all__ = ["one", "two"]'),
          change("    return 1\n", "    return 1\n\n\ndef two():\n    return 2\n")],
         "from m import *\n", ['"two" in globals()', "one()"]),
]

CASES: list[Case] = [
    *CONSTANT_CASES,
    *REMOVAL_CASES,
    *SUPER_CASES,
    *ELSEWHERE_CASES,
    *CLOSURE_PLACE_CASES,
    *STAR_CASES,
]

PRELOAD = ["pydantic", "attr", "msgspec", "dataclasses", "enum", "functools", "collections"]
