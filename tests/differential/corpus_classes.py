"""Hand-written cases: classes built by machinery (pydantic, attrs, dataclasses, SQLAlchemy,
msgspec, enum, NamedTuple, TypedDict, ``__init_subclass__``, class decorators).

Each group shares one small module; every case is one edit of it.  Probes
build new objects through references taken before the edit (``from m import
User``), or ask old instances what only the code decides, never state they
keep from before the edit.
"""

from __future__ import annotations

from .case import Case, case, change

# -- pydantic v2 -----------------------------------------------------------------

PYDANTIC = """
from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer, field_validator, model_validator


class User(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=False)
    name: str
    age: int = 0
    nick: str = ""

    @field_validator("name")
    @classmethod
    def tidy(cls, v):
        return v.title()

    @model_validator(mode="after")
    def check_age(self):
        if self.age < 0:
            raise ValueError("age must be >= 0")
        return self

    @field_serializer("age")
    def show_age(self, v):
        return v

    @computed_field
    @property
    def label(self) -> str:
        return f"{self.name}:{self.age}"

    def greet(self):
        return "hi " + self.name
"""
PYDANTIC_SETUP = """
import m
import pickle
from m import User
u = User(name="ann", age=3)
"""
NESTED = """
from pydantic import BaseModel, Field


class Address(BaseModel):
    city: str
    zip: str = "00000"


class Person(BaseModel):
    name: str
    address: Address
"""
NESTED_SETUP = "import m\nfrom m import Person, Address\n"


def _pydantic(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"pydantic.{name}", PYDANTIC, change(old, new), PYDANTIC_SETUP, probes, **extra)


PYDANTIC_CASES = [
    _pydantic("field_added", '    nick: str = ""\n', '    nick: str = ""\n    email: str = "none"\n',
              ['User(name="bob", email="b@x")', "sorted(User.model_fields)",
               'User(name="bob").model_dump()']),
    _pydantic("field_removed", '    nick: str = ""\n', "",
              ['User(name="bob", nick="b")', "sorted(User.model_fields)"]),
    _pydantic("field_retyped", "    age: int = 0\n", "    age: float = 0\n",
              ['User(name="bob", age=2.5)']),
    _pydantic("default_changed", "    age: int = 0\n", "    age: int = 7\n",
              ['User(name="bob")', 'User.model_fields["age"].default']),
    _pydantic("field_constraint", "    age: int = 0\n", "    age: int = Field(0, le=150)\n",
              ['User(name="bob", age=200)']),
    _pydantic("model_config", "str_strip_whitespace=False", "str_strip_whitespace=True",
              ['User(name="  bob  ")']),
    _pydantic("field_validator_body", "return v.title()", "return v.upper()",
              ['User(name="bob smith")']),
    _pydantic("model_validator_body", "if self.age < 0:", "if self.age < 18:",
              ['User(name="bob", age=5)']),
    _pydantic("field_serializer_body", "        return v\n", '        return f"{v} years"\n',
              ['User(name="bob", age=4).model_dump()', "u.model_dump()", "u.model_dump_json()"]),
    _pydantic("computed_field_body", 'f"{self.name}:{self.age}"', 'f"{self.name}/{self.age}"',
              ["u.label", "u.model_dump()", 'User(name="bob").model_dump()']),
    _pydantic("method_body", '"hi " + self.name', '"hello " + self.name',
              ["u.greet()", "type(u) is User", "User is m.User",
               "pickle.loads(pickle.dumps(u)).greet()"], must_apply=True),
    _pydantic("validator_added", '    @model_validator(mode="after")\n',
              '    @field_validator("age")\n    @classmethod\n    def cap(cls, v):\n'
              '        return min(v, 100)\n\n    @model_validator(mode="after")\n',
              ['User(name="bob", age=500)']),
    _pydantic("validator_removed",
              '    @field_validator("name")\n    @classmethod\n    def tidy(cls, v):\n'
              "        return v.title()\n", "",
              ['User(name="bob smith")']),
    case("pydantic.nested_field_added", NESTED,
         change('    zip: str = "00000"\n', '    zip: str = "00000"\n    country: str = "NL"\n'),
         NESTED_SETUP,
         ['Person(name="p", address={"city": "x"}).model_dump()',
          'Address(city="y", country="BE")']),
    case("pydantic.nested_constraint", NESTED,
         change("    city: str\n", "    city: str = Field(min_length=3)\n"), NESTED_SETUP,
         ['Person(name="p", address={"city": "x"})', 'Address(city="x")']),
]

# -- attrs ---------------------------------------------------------------------------

ATTRS = """
import attr
from attrs import define, field, frozen, validators


@define
class P:
    x: int = 1
    y: int = field(default=0, converter=int)
    tag: str = field(default="a", validator=validators.instance_of(str))

    @y.validator
    def _check_y(self, attribute, value):
        if value < 0:
            raise ValueError("y must be >= 0")

    def norm(self):
        return abs(self.x) + abs(self.y)


@frozen
class F:
    a: int = 1

    def double(self):
        return self.a * 2


@attr.s(slots=True)
class S:
    v = attr.ib(default=1)
    w = attr.ib(default=2, converter=str)

    def total(self):
        return self.v + int(self.w)
"""
ATTRS_SETUP = """
import attr
import m
from m import P, F, S
p = P(2, 3)
f = F(4)
s = S(5)
"""


def _attrs(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"attrs.{name}", ATTRS, change(old, new), ATTRS_SETUP, probes, **extra)


ATTRS_CASES = [
    _attrs("define_default", "    x: int = 1\n", "    x: int = 10\n", ["P()"]),
    _attrs("define_field_added", '    tag: str = field(default="a", validator=validators.instance_of(str))\n',
           '    tag: str = field(default="a", validator=validators.instance_of(str))\n    z: int = 9\n',
           ['P(1, 2, "t", 3)', "sorted(attr.fields_dict(P))"]),
    _attrs("define_method_body", "abs(self.x) + abs(self.y)", "abs(self.x) * abs(self.y)",
           ["p.norm()", "type(p) is P", "P is m.P"], must_apply=True),
    _attrs("validator_body", "if value < 0:", "if value < 2:", ["P(1, 1)"]),
    _attrs("validator_argument", "validators.instance_of(str)", 'validators.in_(["a", "b"])',
           ['P(1, 1, "c")']),
    _attrs("converter", "converter=int)", "converter=float)", ['P(1, "2")']),
    _attrs("frozen_method_body", "self.a * 2", "self.a * 3", ["f.double()", "F(5).double()"],
           must_apply=True),
    _attrs("frozen_default", "    a: int = 1\n", "    a: int = 2\n",
           ["F()", 'setattr(F(), "a", 3)']),
    _attrs("slots_default", "v = attr.ib(default=1)", "v = attr.ib(default=10)", ["S()"]),
    _attrs("slots_converter", "converter=str)", "converter=lambda w: str(w) * 2)",
           ["S(1, 3)", "S(1, 3).total()"]),
    _attrs("slots_method_body", "self.v + int(self.w)", "self.v - int(self.w)",
           ["s.total()", "S(1).total()"], must_apply=True),
]

# -- dataclasses ---------------------------------------------------------------------

DATACLASSES = """
import dataclasses
from dataclasses import dataclass, field


@dataclass
class D:
    x: int = 0
    items: list = field(default_factory=list)

    def __post_init__(self):
        self.size = len(self.items) + self.x

    def show(self):
        return f"D{self.x}"


@dataclass(frozen=True)
class Fz:
    fa: int = 1

    def twice(self):
        return self.fa * 2


@dataclass(slots=True)
class Sl:
    sa: int = 1

    def inc(self):
        return self.sa + 1


@dataclass(order=True)
class O:
    rank: int = 0


@dataclass(kw_only=True)
class K:
    ka: int = 1
    kb: int = 2
"""
DATACLASSES_SETUP = """
import dataclasses
import m
from m import D, Fz, Sl, O, K
d = D(1, [1, 2])
fz = Fz(3)
sl = Sl(4)
"""


def _dataclass(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"dataclass.{name}", DATACLASSES, change(old, new), DATACLASSES_SETUP, probes,
                **extra)


DATACLASS_CASES = [
    _dataclass("default", "    x: int = 0\n", "    x: int = 5\n", ["D()"]),
    _dataclass("field_added", "    items: list = field(default_factory=list)\n",
               '    items: list = field(default_factory=list)\n    label: str = "?"\n',
               ['D(1, [], "L")', "[f.name for f in dataclasses.fields(D)]"]),
    _dataclass("field_retyped", "    x: int = 0\n", "    x: float = 0\n",
               ["[f.type for f in dataclasses.fields(D)]"]),
    _dataclass("default_factory", "default_factory=list)", "default_factory=lambda: [0])",
               ["D()"]),
    _dataclass("post_init_body", "len(self.items) + self.x", "len(self.items) * 10 + self.x",
               ["D(1, [1]).size"], must_apply=True),
    _dataclass("method_body", 'f"D{self.x}"', 'f"D<{self.x}>"', ["d.show()", "type(d) is D"],
               must_apply=True),
    _dataclass("repr_added", '        return f"D{self.x}"\n',
               '        return f"D{self.x}"\n\n    def __repr__(self):\n        return "D!"\n',
               ["repr(d)", "repr(D())"]),
    _dataclass("frozen_method_body", "self.fa * 2", "self.fa * 3",
               ["fz.twice()", "hash(Fz(2)) == hash(Fz(2))"], must_apply=True),
    _dataclass("frozen_toggled", "@dataclass(order=True)", "@dataclass(order=True, frozen=True)",
               ['setattr(O(1), "rank", 2)', "hash(O(1)) == hash(O(1))"]),
    _dataclass("slots_method_body", "self.sa + 1", "self.sa + 2", ["sl.inc()", "Sl(1).inc()"],
               must_apply=True),
    _dataclass("slots_default", "    sa: int = 1\n", "    sa: int = 7\n", ["Sl()"]),
    _dataclass("order_toggled", "@dataclass(order=True)", "@dataclass(order=False)",
               ["O(1) < O(2)"]),
    _dataclass("kw_only_toggled", "@dataclass(kw_only=True)", "@dataclass(kw_only=False)",
               ["K(5)"]),
]

# -- SQLAlchemy 2 declarative ------------------------------------------------------

SQLALCHEMY = """
from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    addresses: Mapped[list["Address"]] = relationship(back_populates="user")

    def greet(self):
        return "hi " + self.name

    @hybrid_property
    def shout(self):
        return self.name.upper()


class Address(Base):
    __tablename__ = "addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    user: Mapped["User"] = relationship(back_populates="addresses")
"""
SQLALCHEMY_SETUP = """
import m
from m import User, Address
from sqlalchemy import select
u = User(name="ann")
"""


def _sqlalchemy(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"sqlalchemy.{name}", SQLALCHEMY, change(old, new), SQLALCHEMY_SETUP, probes,
                **extra)


SQLALCHEMY_CASES = [
    _sqlalchemy("column_added", "    name: Mapped[str] = mapped_column(String(20))\n",
                "    name: Mapped[str] = mapped_column(String(20))\n"
                '    nick: Mapped[str] = mapped_column(String(10), default="")\n',
                ["str(select(User))", 'User(name="b", nick="n").nick']),
    _sqlalchemy("column_type", "String(20)", "String(40)",
                ["repr(User.__table__.c.name.type)"]),
    _sqlalchemy("column_removed", "    email: Mapped[str]\n", "",
                ["str(select(Address))", 'Address(email="e").email']),
    _sqlalchemy("relationship_option", 'relationship(back_populates="user")',
                'relationship(back_populates="user", lazy="selectin")',
                ["User.addresses.property.lazy"]),
    _sqlalchemy("relationship_order", 'relationship(back_populates="user")',
                'relationship(back_populates="user", order_by="Address.email")',
                ["str(User.addresses.property.order_by)"]),
    _sqlalchemy("hybrid_property_body", "self.name.upper()", 'self.name.upper() + "!"',
                ["u.shout", 'User(name="b").shout'], must_apply=True),
    _sqlalchemy("method_body", '"hi " + self.name', '"hello " + self.name',
                ["u.greet()", "type(u) is User", "str(select(User))"], must_apply=True),
]

# -- msgspec ---------------------------------------------------------------------------

MSGSPEC = """
import msgspec


class P(msgspec.Struct):
    x: int
    y: int = 0

    def total(self):
        return self.x + self.y

    def __post_init__(self):
        if self.x < 0:
            raise ValueError("x must be >= 0")


class Fr(msgspec.Struct, frozen=True):
    a: int = 1
"""
MSGSPEC_SETUP = """
import msgspec
import m
from m import P, Fr
p = P(1, 2)
"""


def _msgspec(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"msgspec.{name}", MSGSPEC, change(old, new), MSGSPEC_SETUP, probes, **extra)


MSGSPEC_CASES = [
    _msgspec("field_added", "    y: int = 0\n", "    y: int = 0\n    z: int = 5\n",
             ["P(1, 2, 3)", "msgspec.json.encode(P(1))",
              "msgspec.json.decode(b'{\"x\": 1, \"z\": 7}', type=P)"]),
    _msgspec("default_changed", "    y: int = 0\n", "    y: int = 9\n",
             ["P(1)", "msgspec.json.decode(b'{\"x\": 1}', type=P)"]),
    _msgspec("field_retyped", "    x: int\n", "    x: str\n",
             ["msgspec.json.decode(b'{\"x\": 1}', type=P)"]),
    _msgspec("method_body", "self.x + self.y", "self.x * self.y",
             ["p.total()", "type(p) is P", "P(3, 4).total()"], must_apply=True),
    _msgspec("post_init_body", "if self.x < 0:", "if self.x < 5:",
             ["P(1)", "msgspec.json.decode(b'{\"x\": 2}', type=P)"], must_apply=True),
    _msgspec("class_keyword", "frozen=True", "frozen=False", ['setattr(Fr(), "a", 2)']),
]

# -- enum ------------------------------------------------------------------------------

ENUM = """
import enum


class Color(enum.Enum):
    RED = 1
    GREEN = 2

    def label(self):
        return self.name.lower()

    @classmethod
    def _missing_(cls, value):
        return cls.RED if value == "r" else None


class Perm(enum.IntFlag):
    R = 4
    W = 2
"""
ENUM_SETUP = """
import m
from m import Color, Perm
c = Color.RED
"""


def _enum(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"enum.{name}", ENUM, change(old, new), ENUM_SETUP, probes, **extra)


ENUM_CASES = [
    _enum("member_added", "    GREEN = 2\n", "    GREEN = 2\n    BLUE = 3\n",
          ["[x.name for x in Color]", "Color(3)"]),
    _enum("member_value", "    RED = 1\n", "    RED = 10\n", ["Color(10)", "Color.RED.value"]),
    _enum("member_removed", "    GREEN = 2\n", "", ["[x.name for x in Color]"]),
    _enum("method_body", "self.name.lower()", "self.name.upper()",
          ["c.label()", "Color.GREEN.label()", "c is Color.RED"], must_apply=True),
    _enum("missing_hook_body", 'value == "r"', 'value in ("r", "red")',
          ['Color("red")', 'Color("r")'], must_apply=True),
    _enum("flag_member_added", "    W = 2\n", "    W = 2\n    X = 1\n", ["Perm(7)"]),
]

# -- NamedTuple and namedtuple -------------------------------------------------------

NAMEDTUPLE = """
import collections
from typing import NamedTuple


class Pt(NamedTuple):
    x: int
    y: int = 0

    def norm(self):
        return abs(self.x) + abs(self.y)


Pair = collections.namedtuple("Pair", "a b")
"""
NAMEDTUPLE_SETUP = """
import m
from m import Pt, Pair
pt = Pt(1, 2)
"""


def _namedtuple(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"namedtuple.{name}", NAMEDTUPLE, change(old, new), NAMEDTUPLE_SETUP, probes,
                **extra)


NAMEDTUPLE_CASES = [
    _namedtuple("field_added", "    y: int = 0\n", "    y: int = 0\n    z: int = 0\n",
                ["Pt(1, 2, 3)", "Pt._fields"]),
    _namedtuple("default", "    y: int = 0\n", "    y: int = 5\n", ["Pt(1)"]),
    _namedtuple("method_body", "abs(self.x) + abs(self.y)", "abs(self.x) - abs(self.y)",
                ["pt.norm()", "type(pt) is Pt"], must_apply=True),
    _namedtuple("collections_fields", '"a b"', '"a b c"', ["Pair(1, 2, 3)", "Pair._fields"]),
]

# -- TypedDict ---------------------------------------------------------------------------

TYPEDDICT = """
from typing import TypedDict


class Movie(TypedDict):
    title: str


class Opt(TypedDict, total=False):
    rating: int
"""
TYPEDDICT_CASES = [
    case("typeddict.key_added", TYPEDDICT, change("    title: str\n", "    title: str\n    year: int\n"),
         "import m\nfrom m import Movie, Opt\n",
         ["sorted(Movie.__annotations__)", "sorted(Movie.__required_keys__)"]),
    case("typeddict.total", TYPEDDICT, change("total=False", "total=True"),
         "import m\nfrom m import Movie, Opt\n", ["sorted(Opt.__required_keys__)"]),
]

# -- __init_subclass__ registries --------------------------------------------------

INIT_SUBCLASS = """
class Plugin:
    registry = {}

    def __init_subclass__(cls, key=None, **kwargs):
        super().__init_subclass__(**kwargs)
        Plugin.registry[key or cls.__name__.lower()] = cls


class Alpha(Plugin, key="a"):
    def run(self):
        return 1


class Beta(Plugin):
    def run(self):
        return 2
"""
INIT_SUBCLASS_SETUP = "import m\nfrom m import Plugin, Alpha\n"


def _init_subclass(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"init_subclass.{name}", INIT_SUBCLASS, change(old, new), INIT_SUBCLASS_SETUP,
                probes, **extra)


INIT_SUBCLASS_CASES = [
    _init_subclass("hook_body", "cls.__name__.lower()", "cls.__name__.upper()",
                   ["sorted(Plugin.registry)"]),
    _init_subclass("hook_body_then_subclassed", "        super().__init_subclass__(**kwargs)\n",
                   "        kwargs = dict(kwargs)\n        super().__init_subclass__(**kwargs)\n",
                   ['type("Zeta", (Plugin,), {}).__name__', 'type("Eta", (Alpha,), {}).__name__']),
    _init_subclass("class_keyword", 'key="a"', 'key="alpha"', ["sorted(Plugin.registry)"]),
    _init_subclass("subclass_added", "        return 2\n",
                   "        return 2\n\n\nclass Gamma(Plugin):\n    pass\n",
                   ["sorted(Plugin.registry)"]),
    _init_subclass("subclass_removed", "\n\nclass Beta(Plugin):\n    def run(self):\n        return 2\n",
                   "\n", ["sorted(Plugin.registry)"]),
    _init_subclass("subclass_method_body", "        return 1\n", "        return 10\n",
                   ['Plugin.registry["a"]().run()', "Alpha().run()"], must_apply=True),
]

# -- class decorators --------------------------------------------------------------------

CLASS_DECORATORS = """
import functools

REGISTRY = []


def register(cls):
    REGISTRY.append(cls.__name__)
    return cls


def with_hello(cls):
    cls.hello = lambda self: "hi from " + type(self).__name__
    return cls


def tagged(tag):
    def apply(cls):
        cls.tag = tag
        return cls
    return apply


@register
class A:
    def f(self):
        return 1


@with_hello
class B:
    pass


@tagged("x")
class C:
    pass


class Named:
    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        return "field " + self.name


class Rec:
    first = Named()


class Counted:
    def __init__(self, cls):
        self.cls = cls

    def __call__(self, *args):
        return ("made", self.cls(*args))


@Counted
class W:
    def __init__(self, n):
        self.n = n


@functools.total_ordering
class V:
    def __init__(self, n):
        self.n = n

    def __eq__(self, other):
        return self.n == other.n

    def __lt__(self, other):
        return self.n < other.n
"""
CLASS_DECORATORS_SETUP = """
import m
from m import B, C, V, Rec, W
a = m.A()
b = B()
"""


def _class_decorator(name: str, old: str, new: str, probes: list[str], **extra: object) -> Case:
    return case(f"class_decorator.{name}", CLASS_DECORATORS, change(old, new),
                CLASS_DECORATORS_SETUP, probes, **extra)


CLASS_DECORATOR_CASES = [
    _class_decorator("method_body", "        return 1\n", "        return 2\n",
                     ["a.f()", "m.REGISTRY", "type(a) is m.A"], must_apply=True),
    _class_decorator("registered_class_removed", "@register\nclass A:\n    def f(self):\n        return 1\n",
                     "", ["m.REGISTRY"]),
    _class_decorator("decorator_body", '"hi from "', '"hello from "', ["b.hello()", "B().hello()"]),
    _class_decorator("decorator_argument", '@tagged("x")', '@tagged("y")', ["C.tag"]),
    _class_decorator("set_name_renamed", "    first = Named()\n", "    second = Named()\n",
                     ['Rec.second', 'hasattr(Rec, "first")']),
    _class_decorator("callable_decorator_call", 'return ("made", self.cls(*args))',
                     'return ("built", self.cls(*args))', ["W(1)[0]"], must_apply=True),
    _class_decorator("total_ordering_lt", "return self.n < other.n", "return self.n > other.n",
                     ["V(1) > V(2)", "V(1) <= V(2)"], must_apply=True),
]

CASES: list[Case] = [
    *PYDANTIC_CASES,
    *ATTRS_CASES,
    *DATACLASS_CASES,
    *SQLALCHEMY_CASES,
    *MSGSPEC_CASES,
    *ENUM_CASES,
    *NAMEDTUPLE_CASES,
    *TYPEDDICT_CASES,
    *INIT_SUBCLASS_CASES,
    *CLASS_DECORATOR_CASES,
]

PRELOAD = ["pydantic", "attrs", "attr", "sqlalchemy", "sqlalchemy.orm", "msgspec", "dataclasses",
           "enum", "typing", "collections", "functools", "pickle"]
