"""Hand-written cases: function decorators, closure factories, plain code, refusals.

References made before the edit live where users keep them: ``from m
import f`` bindings, dicts in ``__main__``, registries, instance attributes,
nested containers, a library's callback list (``logging`` filters).
"""

from __future__ import annotations

from .case import Case, case, change

# -- function decorators ------------------------------------------------------------

DECORATORS = """
import functools


def shout(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs) + "!"
    return wrapper


def doubled(fn):
    def inner(*args):
        return fn(*args) * 2
    return inner


def mark(fn):
    fn.marked = "v1"
    return fn


def repeat(n):
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(x):
            return [fn(x)] * n
        return wrapper
    return deco


HANDLERS = {}


def handler(name):
    def register(fn):
        HANDLERS[name] = fn
        return fn
    return register


@shout
def hello(name):
    return "hello " + name


@doubled
def num(x):
    return x + 1


@mark
def marked():
    return 0


@repeat(2)
def rep(x):
    return x


@handler("a")
def on_a():
    return "a1"


@functools.lru_cache(maxsize=None)
def sq(x):
    return x * x


def bare():
    return "bare"


@functools.singledispatch
def show(x):
    return "object"


@show.register
def _(x: int):
    return "int"


class K:
    @property
    def p(self):
        return 1

    @staticmethod
    def s():
        return 2

    @classmethod
    def c(cls):
        return 3
"""
DECORATORS_SETUP = """
import m
from m import hello, num, marked, rep, sq, bare, show, K
kept = {"hello": m.hello, "num": m.num}
k = K()
bound = k.c
"""


def _decorator(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"decorator.{name}", DECORATORS, change(old, new), DECORATORS_SETUP, probes,
                **extra)


DECORATOR_CASES = [
    _decorator("wrapper_body", '+ "!"', '+ "?"',
               ['hello("x")', 'kept["hello"]("x")', 'm.hello("x")']),
    _decorator("inner_body_unwrapped", "* 2", "* 3", ["num(1)", 'kept["num"](1)']),
    _decorator("outer_body", 'fn.marked = "v1"', 'fn.marked = "v2"', ["marked.marked"]),
    _decorator("use_site_argument", "@repeat(2)", "@repeat(3)", ["rep(1)", "m.rep(1)"]),
    _decorator("decorated_body", 'return "hello " + name', 'return "hey " + name',
               ['hello("x")', 'kept["hello"]("x")'], must_apply=True),
    _decorator("registered_body", 'return "a1"', 'return "a2"', ['m.HANDLERS["a"]()'],
               must_apply=True),
    _decorator("registration_key", '@handler("a")', '@handler("b")', ["sorted(m.HANDLERS)"]),
    _decorator("registered_function_removed", '@handler("a")\ndef on_a():\n    return "a1"\n', "",
               ["sorted(m.HANDLERS)"]),
    _decorator("lru_cache_body", "return x * x", "return x * x + 1", ["sq(3)"], must_apply=True),
    _decorator("decorator_added", "def bare():", "@shout\ndef bare():", ["bare()"]),
    _decorator("singledispatch_impl", 'return "int"', 'return "INT"', ["show(1)", 'show("s")']),
    _decorator("property_body", "        return 1\n", "        return 10\n", ["k.p"],
               must_apply=True),
    _decorator("staticmethod_body", "        return 2\n", "        return 20\n",
               ["K.s()", "k.s()"], must_apply=True),
    _decorator("classmethod_body", "        return 3\n", "        return 30\n",
               ["bound()", "K.c()"], must_apply=True),
    case("decorator.in_other_module",
         {"deco.py": 'def shout(fn):\n    def wrapper(*a):\n        return fn(*a) + "!"\n'
                     "    return wrapper\n",
          "m.py": "from deco import shout\n\n\n@shout\ndef hello(name):\n"
                  '    return "hello " + name\n'},
         change('+ "!"', '+ "?"', file="deco.py"),
         "import m\nfrom m import hello\n", ['hello("x")', 'm.hello("x")']),
]

# -- closure factories ----------------------------------------------------------------

CLOSURES = """
import logging


def make_adder(n):
    def add(x):
        return x + n
    return add


class Calc:
    def __init__(self):
        self.op = make_adder(1)


ADD1 = make_adder(1)
HOOKS = {"post": [make_adder(2)]}


def make_filter(word):
    def keep(record):
        return word in record.getMessage()
    return keep


LOG = logging.getLogger(__name__)
LOG.addFilter(make_filter("ok"))
"""
CLOSURES_SETUP = """
import logging
import m
from m import make_adder, Calc
calc = Calc()
mine = [m.make_adder(3)]
record = logging.LogRecord("n", 20, "p", 1, "ok msg", None, None)
"""
ADDER_EDIT = change("return x + n", "return x + n * 10")


def _closure(name: str, edit: object, probes: list[str], **extra: object) -> Case:
    return case(f"closure.{name}", CLOSURES, edit, CLOSURES_SETUP, probes,  # type: ignore[arg-type]
                **extra)


CLOSURE_CASES = [
    _closure("instance_attribute", ADDER_EDIT, ["calc.op(1)", "Calc().op(1)"]),
    _closure("module_level", ADDER_EDIT, ["m.ADD1(1)"]),
    _closure("nested_container", ADDER_EDIT, ['m.HOOKS["post"][0](1)']),
    _closure("list_in_main", ADDER_EDIT, ["mine[0](1)", "make_adder(5)(1)"]),
    _closure("library_callback_list", change("return word in", "return word not in"),
             ["bool(m.LOG.filter(record))"]),
    _closure("free_variables_changed",
             [change("def make_adder(n):", "def make_adder(n, bias=0):"),
              change("return x + n", "return x + n + bias")],
             ["calc.op(1)", "make_adder(1)(1)", "mine[0](1)"]),
]

# -- plain functions and classes ------------------------------------------------------

PLAIN = """
LIMIT = 10
DOUBLE = LIMIT * 2


def limit():
    return LIMIT


def helper():
    return "helper"


class Base:
    def hello(self):
        return "base"


class Child(Base):
    def hello(self):
        return "child+" + super().hello()

    def plain(self):
        return "plain"


class Box:
    def __class_getitem__(cls, item):
        return "Box of " + item.__name__


class Point:
    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x
"""
PLAIN_SETUP = """
import pickle
import m
from m import LIMIT, DOUBLE, limit, helper, Child, Point
c = Child()
p = Point(1)
funcs = {"limit": m.limit}
"""


def _plain(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"plain.{name}", PLAIN, change(old, new), PLAIN_SETUP, probes, **extra)


TWO_MODULES = {
    "base.py": 'class Base:\n    def hello(self):\n        return "base"\n',
    "m.py": 'from base import Base\n\n\nclass Child(Base):\n    pass\n',
}

PLAIN_CASES = [
    _plain("function_body", 'return "helper"', 'return "HELPER"', ["helper()", "m.helper()"],
           must_apply=True),
    _plain("constant_and_dependents", "LIMIT = 10", "LIMIT = 20",
           ["LIMIT", "m.DOUBLE", "DOUBLE", "limit()", 'funcs["limit"]()']),
    _plain("super_target_body", 'return "base"', 'return "BASE"',
           ["c.hello()", "pickle.loads(pickle.dumps(c)).hello()"], must_apply=True),
    _plain("super_dropped", 'return "child+" + super().hello()', 'return "child"',
           ["c.hello()", "Child().hello()"], must_apply=True),
    _plain("super_gained", 'return "plain"', 'return "plain+" + super().hello()',
           ["c.plain()"], must_apply=True),
    _plain("class_getitem_body", '"Box of "', '"Box holding "', ["m.Box[int]"],
           must_apply=True),
    _plain("repr_added", "        self.x = x\n",
           "        self.x = x\n\n    def __repr__(self):\n        return f\"Point({self.x})\"\n",
           ["repr(p)", "repr(Point(2))"]),
    case("plain.name_deleted", PLAIN, change('def helper():\n    return "helper"\n', ""),
         "import m\nfrom m import helper\nkept = [m.helper]\n",
         ['hasattr(m, "helper")', '"helper" in globals()', "kept[0]()"]),
    _plain("slots_changed", '__slots__ = ("x",)', '__slots__ = ("x", "y")',
           ["Point(1).__slots__", 'hasattr(Point, "y")']),
    _plain("base_changed", "class Child(Base):", "class Child(object):",
           ["Child.__mro__", "c.plain()"]),
    case("plain.base_in_other_module", TWO_MODULES, change('"base"', '"BASE"', file="base.py"),
         "import m\nfrom m import Child\nc = Child()\n", ["c.hello()", "m.Child().hello()"],
         must_apply=True),
]

# -- edits that cannot be applied: refused whole ---------------------------------------

TRANSACTION = """
X = 1


def f():
    return "old"
"""
TRANSACTION_SETUP = "import m\nfrom m import f, X\n"
DATACLASS_LIKE = """
from dataclasses import dataclass


@dataclass
class D:
    x: int = 0

    def show(self):
        return "show"
"""
REFUSAL_CASES = [
    case("refusal.syntax_error", TRANSACTION, change('return "old"', 'return "old'),
         TRANSACTION_SETUP, ["f()", "m.X"]),
    case("refusal.runtime_error", TRANSACTION,
         [change('return "old"', 'return "new"'), change("X = 1", "X = 1 / 0")],
         TRANSACTION_SETUP, ["f()", "m.X", "X"]),
    case("refusal.one_of_two_modules",
         {"base.py": 'class Base:\n    def hello(self):\n        return "base"\n\n\n'
                     'class Other:\n    def hello(self):\n        return "other"\n',
          "m.py": "from base import Base, Other\n\n\nclass Child(Base):\n    pass\n"},
         [change('"base"', '"BASE"', file="base.py"),
          change("class Child(Base):", "class Child(Other):")],
         "import m\nfrom m import Child\nfrom base import Base\nc = Child()\n",
         ["c.hello()", "Base().hello()", "Child.__mro__"]),
    case("refusal.field_and_method", DATACLASS_LIKE,
         [change("    x: int = 0\n", "    x: int = 1\n"), change('return "show"', 'return "SHOW"')],
         "import m\nfrom m import D\nd = D()\n", ["d.show()", "D()"]),
    case("refusal.opt_out", "__freshrepl_reload__ = False\n" + TRANSACTION,
         change('return "old"', 'return "new"'), TRANSACTION_SETUP, ["f()"]),
]

CASES: list[Case] = [*DECORATOR_CASES, *CLOSURE_CASES, *PLAIN_CASES, *REFUSAL_CASES]

PRELOAD = ["functools", "logging", "pickle"]
