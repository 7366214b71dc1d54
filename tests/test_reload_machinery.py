"""Reloads of classes built by machinery (pydantic, attrs, SQLAlchemy, msgspec, dataclasses,
enum, NamedTuple, TypedDict, __init_subclass__, class decorators): method bodies apply in
place with the class kept; whatever the machinery derives from the body is refused out loud.
"""

from __future__ import annotations

import textwrap

import pytest
from reload_helpers import Workspace

from freshrepl.protocol import RELOADED, UNSAFE


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


def edit(ws: Workspace, name: str, old: str, new: str):
    """Write ``old``, import it, write ``new``: returns (module, reload function)."""
    ws.write(f"{name}.py", old)
    module = ws.load(name)

    def apply():
        ws.write(f"{name}.py", new)
        return ws.reload_one(name)

    return module, apply


def refused(ws: Workspace, name: str, old: str, new: str, *words: str):
    """The edit is refused naming the object and reason; the module stays as it was."""
    module, apply = edit(ws, name, old, new)
    before = dict(module.__dict__)
    result = apply()
    assert result.status == UNSAFE, result
    for word in words:
        assert word in result.detail, result.detail
    assert module.__dict__ == before
    return module


# -- pydantic ------------------------------------------------------------------------------

PYD = """\
from pydantic import BaseModel, ConfigDict, computed_field, field_serializer
from pydantic import field_validator, model_validator

class User(BaseModel):
    name: str
    age: int = 0

    @field_validator("name")
    @classmethod
    def clean(cls, v):
        return v.strip()

    @model_validator(mode="after")
    def check(self):
        return self

    @field_serializer("name")
    def show(self, v):
        return v

    @computed_field
    @property
    def label(self) -> str:
        return self.name

    def greet(self):
        return "hi " + self.name
"""


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("    age: int = 0\n", '    age: int = 0\n    email: str = "none"\n', ["email", "User"]),
        ("    age: int = 0\n", "", ["age", "User"]),
        ("    age: int = 0\n", "    age: float = 0\n", ["age"]),
        ("    age: int = 0\n", "    age: int = 5\n", ["age"]),
        (
            "    age: int = 0\n",
            '    age: int = 0\n    model_config = ConfigDict(extra="forbid")\n',
            ["model_config"],
        ),
    ],
    ids=["field added", "field removed", "field retyped", "default", "model_config"],
)
def test_pydantic_field_and_config_edits_are_refused(ws, old, new, words):
    m = refused(ws, "pyd", PYD, PYD.replace(old, new), *words, "metaclass")
    assert m.User(name="bob").age == 0  # the old model still works as before


def test_pydantic_added_field_never_silently_dropped(ws):
    m, apply = edit(ws, "pydf", PYD, PYD.replace("    age: int = 0\n", '    age: int = 0\n    email: str = "none"\n'))
    result = apply()
    assert result.status == UNSAFE
    assert "email" not in m.User.model_fields


def test_pydantic_validator_serializer_computed_and_method_bodies_apply(ws):
    m, apply = edit(
        ws,
        "pydv",
        PYD,
        PYD.replace("return v.strip()", "return v.strip().upper()")
        .replace("        return v\n", "        return v + '!'\n")
        .replace("return self.name\n", "return 'L:' + self.name\n")
        .replace('"hi "', '"hello "')
        .replace("        return self\n", "        self.age += 1\n        return self\n"),
    )
    User = m.User
    old = User(name=" ann ")
    result = apply()
    assert result.status == RELOADED, result
    assert m.User is User and type(old) is m.User
    assert old.greet() == "hello ann"
    assert old.label == "L:ann"
    assert old.model_dump() == {"name": "ann!", "age": 0, "label": "L:ann"}
    fresh = User(name=" bob ")
    assert fresh.name == "BOB" and fresh.age == 1
    assert User.model_validate({"name": "x"}).name == "X"


def test_pydantic_computed_field_return_type_change_is_refused(ws):
    refused(ws, "pydc", PYD, PYD.replace("def label(self) -> str:", "def label(self) -> int:"), "label")


def test_pydantic_validator_decorator_arguments_change_is_refused(ws):
    refused(ws, "pydd", PYD, PYD.replace('@field_validator("name")', '@field_validator("name", mode="before")'), "clean")


# -- attrs ---------------------------------------------------------------------------------

ATTRS = """\
import attr
import attrs

def to_int(v):
    return int(v)

@attrs.define
class Box:
    size: int = attrs.field(default=1)
    label: str = attrs.field(default="x", converter=str)

    @size.validator
    def _check(self, attribute, value):
        if value < 0:
            raise ValueError("negative")

    def area(self):
        return self.size * self.size

@attrs.frozen
class Frozen:
    x: int = 0
    def twice(self):
        return self.x * 2

@attr.s(slots=True)
class Old:
    y = attr.ib(default=0, converter=to_int)
    def get(self):
        return self.y
"""


def test_attrs_field_default_edit_is_refused(ws):
    m = refused(ws, "att", ATTRS, ATTRS.replace("default=1)", "default=2)"), "Box", "size")
    assert m.Box().size == 1


@pytest.mark.parametrize(
    "old, new",
    [
        ('label: str = attrs.field(default="x", converter=str)', 'label: str = attrs.field(default="y", converter=str)'),
        ("    x: int = 0\n", "    x: int = 0\n    z: int = 1\n"),
        ("y = attr.ib(default=0, converter=to_int)", "y = attr.ib(default=1, converter=to_int)"),
    ],
    ids=["field()", "frozen field added", "attr.ib"],
)
def test_attrs_field_edits_are_refused(ws, old, new):
    refused(ws, "attf", ATTRS, ATTRS.replace(old, new))


def test_attrs_method_validator_and_converter_bodies_apply(ws):
    m, apply = edit(
        ws,
        "attm",
        ATTRS,
        ATTRS.replace("return self.size * self.size", "return self.size * 10")
        .replace("if value < 0:", "if value > 100:")
        .replace("return self.x * 2", "return self.x * 3")
        .replace("return int(v)", "return int(v) + 1")
        .replace("return self.y\n", "return -self.y\n"),
    )
    box, frozen, old = m.Box(2), m.Frozen(2), m.Old("4")
    classes = (m.Box, m.Frozen, m.Old)
    result = apply()
    assert result.status == RELOADED, result
    assert (m.Box, m.Frozen, m.Old) == classes
    assert box.area() == 20 and frozen.twice() == 6 and old.get() == -4
    assert m.Box(-5).size == -5  # the validator runs its new body
    with pytest.raises(ValueError):
        m.Box(500)
    assert m.Old("4").y == 5  # the converter runs its new body


# -- dataclasses ---------------------------------------------------------------------------

DC = """\
import dataclasses

def fresh_list():
    return [1]

@dataclasses.dataclass(frozen=True, order=True)
class A:
    x: int
    def f(self):
        return "old"

@dataclasses.dataclass(slots=True, kw_only=True)
class B:
    y: int = 0
    items: list = dataclasses.field(default_factory=fresh_list)
    def __post_init__(self):
        self.y += 1
    def f(self):
        return "old"
"""


def test_dataclass_options_method_post_init_and_factory_bodies_apply(ws):
    m, apply = edit(
        ws,
        "dco",
        DC,
        DC.replace('"old"', '"new"').replace("self.y += 1", "self.y += 2").replace("[1]", "[2]"),
    )
    a, b = m.A(1), m.B()
    result = apply()
    assert result.status == RELOADED, result
    assert a.f() == b.f() == "new"
    assert m.B().y == 2 and m.B().items == [2]
    assert a < m.A(2) and hash(a) == hash(m.A(1))


@pytest.mark.parametrize(
    "old, new",
    [
        ("frozen=True, order=True", "frozen=True"),
        ("    y: int = 0\n", "    y: int = 5\n"),
        ("dataclasses.field(default_factory=fresh_list)", "dataclasses.field(default_factory=list)"),
    ],
    ids=["options", "default", "default_factory"],
)
def test_dataclass_derived_edits_are_refused(ws, old, new):
    refused(ws, "dcr2", DC, DC.replace(old, new))


# -- SQLAlchemy ----------------------------------------------------------------------------

SQLA = """\
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

class Base(DeclarativeBase):
    pass

class Team(Base):
    __tablename__ = "team"
    id: Mapped[int] = mapped_column(primary_key=True)
    players: Mapped[list["Player"]] = relationship(back_populates="team")

class Player(Base):
    __tablename__ = "player"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), nullable=True)
    team: Mapped[Team] = relationship(back_populates="players")

    def shout(self):
        return self.name.upper()
"""


@pytest.mark.parametrize(
    "old, new, word",
    [
        ("    def shout", "    score: Mapped[int] = mapped_column(default=0)\n\n    def shout", "score"),
        ("String(30)", "String(40)", "name"),
        ('relationship(back_populates="players")', 'relationship(back_populates="players", lazy="joined")', "team"),
    ],
    ids=["column added", "column retyped", "relationship"],
)
def test_sqlalchemy_column_and_relationship_edits_are_refused(ws, old, new, word):
    m = refused(ws, "sqa", SQLA, SQLA.replace(old, new), "Player", word)
    assert "score" not in m.Player.__table__.c


def test_sqlalchemy_method_body_applies_to_old_instances(ws):
    m, apply = edit(ws, "sqm", SQLA, SQLA.replace("self.name.upper()", "self.name.title()"))
    p = m.Player(name="ann lee")
    result = apply()
    assert result.status == RELOADED, result
    assert p.shout() == "Ann Lee" and type(p) is m.Player


# -- msgspec, enum, NamedTuple, TypedDict ----------------------------------------------------

OTHERS = """\
import enum
import typing
import msgspec

class S(msgspec.Struct):
    a: int
    def f(self):
        return "old"

class E(enum.Enum):
    A = 1
    def f(self):
        return "old"

class N(typing.NamedTuple):
    a: int
    def f(self):
        return "old"

class T(typing.TypedDict):
    a: int
"""


@pytest.mark.parametrize(
    "old, new, word",
    [
        ("class S(msgspec.Struct):\n    a: int\n", "class S(msgspec.Struct):\n    a: int\n    b: int = 0\n", "S"),
        ("    A = 1\n", "    A = 2\n", "E"),
        ("class T(typing.TypedDict):\n    a: int\n", "class T(typing.TypedDict):\n    a: int\n    b: str\n", "T"),
        ("class N(typing.NamedTuple):\n    a: int\n", "class N(typing.NamedTuple):\n    a: str\n", "N"),
    ],
    ids=["msgspec field", "enum value", "TypedDict key", "NamedTuple type"],
)
def test_other_builders_derived_edits_are_refused(ws, old, new, word):
    refused(ws, "oth", OTHERS, OTHERS.replace(old, new), word)


def test_msgspec_enum_namedtuple_method_bodies_apply(ws):
    m, apply = edit(ws, "othm", OTHERS, OTHERS.replace('"old"', '"new"'))
    objs = [m.S(1), m.E.A, m.N(1)]
    result = apply()
    assert result.status == RELOADED, result
    assert [o.f() for o in objs] == ["new"] * 3
    assert msgspec_roundtrip(m)


def msgspec_roundtrip(m) -> bool:
    import msgspec

    return msgspec.json.decode(b'{"a": 3}', type=m.S) == m.S(3)


# -- __init_subclass__, class decorators, descriptors, slots ---------------------------------

HOOKS = """\
REGISTRY = {}

class Plugin:
    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        REGISTRY[cls.key] = cls

class A(Plugin):
    key = "a"
    def run(self):
        return "old"

def tag(cls):
    cls.tags = tuple(n for n in vars(cls) if not n.startswith("_"))
    return cls

@tag
class Tagged:
    size = 1
    def run(self):
        return "old"

class Named:
    def __set_name__(self, owner, name):
        self.name = name

class Owner:
    a = Named()
    def run(self):
        return "old"
"""


@pytest.mark.parametrize(
    "old, new, word",
    [
        ('key = "a"', 'key = "b"', "Plugin.__init_subclass__"),
        ("    size = 1\n", "    size = 1\n    color = 2\n", "@tag"),
    ],
    ids=["init_subclass registry", "class decorator"],
)
def test_class_hooks_derived_edits_are_refused(ws, old, new, word):
    refused(ws, "hooks", HOOKS, HOOKS.replace(old, new), word)


def test_added_set_name_descriptor_is_named_as_type_would(ws):
    m, apply = edit(ws, "hooksn", HOOKS, HOOKS.replace("    a = Named()\n", "    a = Named()\n    b = Named()\n"))
    assert apply().status == RELOADED
    assert m.Owner.b.name == "b" and m.Owner.a.name == "a"


def test_set_name_edit_after_it_ran_is_refused(ws):
    refused(ws, "hooksr", HOOKS, HOOKS.replace("self.name = name", "self.name = name.upper()"), "Named.__set_name__")


def test_class_hooks_method_bodies_apply_without_rerunning_hooks(ws):
    m, apply = edit(ws, "hooksm", HOOKS, HOOKS.replace('"old"', '"new"'))
    registry = dict(m.REGISTRY)
    objs = [m.A(), m.Tagged(), m.Owner()]
    result = apply()
    assert result.status == RELOADED, result
    assert [o.run() for o in objs] == ["new"] * 3
    assert m.REGISTRY == registry and m.Tagged.tags == ("size", "run")


def test_plain_class_attribute_and_new_method_still_apply(ws):
    src = "class P:\n    size = 1\n    def f(self):\n        return self.size\n"
    m, apply = edit(ws, "plainc", src, src.replace("size = 1", "size = 2") + "    def g(self):\n        return 'g'\n")
    p = m.P()
    assert apply().status == RELOADED
    assert p.f() == 2 and p.g() == "g"


def test_signature_change_under_unknown_method_decorator_is_refused(ws):
    src = textwrap.dedent(
        """\
        import inspect
        SIGS = {}
        def remember(fn):
            SIGS[fn.__name__] = str(inspect.signature(fn))
            return fn
        class K:
            @remember
            def f(self, a):
                return a
        """
    )
    refused(ws, "sigm", src, src.replace("def f(self, a):", "def f(self, a, b=1):"), "K.f", "signature")


DEPENDS = """\
from fastapi import Depends
LIMIT = 10
def page_size(limit: int = LIMIT):
    return limit
SIZE = Depends(page_size)
"""


@pytest.mark.parametrize("old, new", [
    ("limit: int = LIMIT", "limit: int = 1"),  # a default
    ("limit: int = LIMIT", "limit: str = LIMIT"),  # an annotation
    ("LIMIT = 10", "LIMIT = 1"),  # a default's value, through a name it reads
])
def test_signature_change_of_a_function_a_library_holds_is_refused(ws, old, new):
    """FastAPI read page_size's parameters when ``Depends`` was given it: a fresh process
    would read the new ones; the live one keeps the old (never silently stale)."""
    m = refused(ws, "deps", DEPENDS, DEPENDS.replace(old, new), "page_size", "signature",
                "fastapi.params.Depends")
    assert m.page_size() == 10


def test_signature_change_of_a_function_only_user_code_holds_applies(ws):
    """Importers, user containers, user objects, user wrappers and the REPL's ``_`` are
    the user's own: a changed default applies and every one of them sees it."""
    src = textwrap.dedent(
        """\
        import functools
        def page_size(limit=10):
            return limit
        HANDLERS = [page_size, {"size": (page_size,)}]
        class Holder:
            def __init__(self, fn):
                self.fn = fn
        HELD = Holder(page_size)
        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*a, **k):
                return fn(*a, **k)
            return wrapper
        LOGGED = logged(page_size)
        PARTIAL = functools.partial(page_size)
        """
    )
    m, apply = edit(ws, "userheld", src, src.replace("limit=10", "limit=1"))
    ws.write("importer.py", "from userheld import page_size\n")
    importer = ws.load("importer")
    import builtins

    builtins._ = m.page_size  # what the REPL keeps of the last result
    result = apply()
    assert result.status == RELOADED, result
    calls = [m.HANDLERS[0], m.HANDLERS[1]["size"][0], m.HELD.fn, m.LOGGED, m.PARTIAL,
             importer.page_size, builtins._]
    assert [call() for call in calls] == [1] * len(calls)


def test_method_under_unfindable_descriptor_is_refused(ws):
    src = textwrap.dedent(
        """\
        import itertools
        class Hidden:  # keeps the function where only C code can reach it
            __slots__ = ("_get",)
            def __init__(self, fn):
                object.__setattr__(self, "_get", itertools.repeat(fn).__next__)
            def __get__(self, obj, cls=None):
                return self._get().__get__(obj, cls)
        class K:
            @Hidden
            def f(self):
                return "old"
        """
    )
    m, apply = edit(ws, "hidd", src, src.replace('"old"', '"new"'))
    k = m.K()
    result = apply()
    assert result.status == UNSAFE and "K.f" in result.detail, result
    assert k.f() == "old"


def test_deep_reload_of_machinery_classes_redoes_methods_only(ws):
    ws.write("deep_pyd.py", PYD)
    m = ws.load("deep_pyd")
    user, fields = m.User, dict(m.User.model_fields)
    result = ws.reload_one("deep_pyd", names=("deep_pyd",))
    assert result.status == RELOADED, result
    assert m.User is user and dict(m.User.model_fields) == fields
    assert m.User(name=" x ").name == "x"


def test_hook_edits_after_they_ran_are_refused(ws):
    src = textwrap.dedent(
        """\
        SEEN = []
        class Base:
            def __init_subclass__(cls):
                SEEN.append(cls.__name__)
        class Child(Base):
            pass
        class Meta(type):
            def __new__(mcs, name, bases, ns):
                ns["made_by"] = "old"
                return super().__new__(mcs, name, bases, ns)
        class Made(metaclass=Meta):
            pass
        """
    )
    refused(ws, "hook1", src, src.replace("SEEN.append(cls.__name__)", "SEEN.append(cls)"), "Base.__init_subclass__")
    refused(ws, "hook2", src, src.replace('"old"', '"new"'), "Meta.__new__")


def test_hook_edit_before_any_use_applies(ws):
    src = "class Base:\n    def __init_subclass__(cls):\n        cls.tag = 'old'\n"
    m, apply = edit(ws, "hook3", src, src.replace("'old'", "'new'"))
    assert apply().status == RELOADED
    assert type("C", (m.Base,), {}).tag == "new"


def test_signature_change_under_known_transparent_decorators_applies(ws):
    src = textwrap.dedent(
        """\
        import functools
        class K:
            @property
            def p(self):
                return 1
            @staticmethod
            def s(a):
                return a
            @functools.lru_cache
            def c(self, a):
                return a
        """
    )
    new = (
        src.replace("def s(a):\n        return a", "def s(a, b=2):\n        return a + b")
        .replace("def c(self, a):\n        return a", "def c(self, a, b=3):\n        return a + b")
    )
    m, apply = edit(ws, "transp", src, new)
    k = m.K()
    assert apply().status == RELOADED
    assert k.s(1) == 3 and k.c(1) == 4


def test_wrapper_made_by_functools_wraps_shows_the_new_docstring(ws):
    src = textwrap.dedent(
        """\
        import functools
        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*a):
                return fn(*a)
            return wrapper
        @deco
        def f():
            "old doc"
            return 1
        """
    )
    m, apply = edit(ws, "wrapdoc", src, src.replace("old doc", "new doc"))
    assert apply().status == RELOADED
    assert m.f.__doc__ == "new doc" and m.f() == 1


def test_added_method_overriding_a_framework_hook_is_refused(ws):
    new = PYD.replace("    def greet(self):", "    def model_post_init(self, context):\n        self.age = 99\n\n    def greet(self):")
    refused(ws, "pydh", PYD, new, "model_post_init")


def test_added_plain_method_in_a_machinery_class_applies(ws):
    m, apply = edit(ws, "pydp", PYD, PYD + "\n    def wave(self):\n        return 'wave ' + self.name\n")
    u = m.User(name="ann")
    assert apply().status == RELOADED
    assert u.wave() == "wave ann"


def test_generic_class_is_a_plain_class(ws):
    src = "import typing\nT = typing.TypeVar('T')\nclass Box(typing.Generic[T]):\n    size = 1\n"
    m, apply = edit(ws, "gen", src, src.replace("size = 1", "size = 2"))
    assert apply().status == RELOADED and m.Box.size == 2


def test_library_descriptors_and_before_validators_take_new_bodies(ws):
    src = textwrap.dedent(
        """\
        from pydantic import BaseModel, model_validator, validate_call
        from sqlalchemy.ext.hybrid import hybrid_property
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

        class Base(DeclarativeBase):
            pass

        class Item(Base):
            __tablename__ = "item"
            id: Mapped[int] = mapped_column(primary_key=True)
            price: Mapped[int] = mapped_column(default=0)

            @hybrid_property
            def doubled(self):
                return self.price * 2

            @validates("price")
            def check_price(self, key, value):
                return value

        class Order(BaseModel):
            qty: int

            @model_validator(mode="before")
            @classmethod
            def fill(cls, data):
                return data

        @validate_call
        def total(qty: int) -> int:
            return qty
        """
    )
    new = (
        src.replace("self.price * 2", "self.price * 3")
        .replace("        return value\n", "        return value + 1\n")
        .replace("        return data\n", "        return {'qty': data['qty'] * 10}\n")
        .replace("    return qty\n", "    return qty * 100\n")
    )
    m, apply = edit(ws, "libdesc", src, new)
    item = m.Item(price=2)
    result = apply()
    assert result.status == RELOADED, result
    assert item.doubled == 6 and m.Item(price=1).price == 2
    assert m.Order(qty=1).qty == 10 and m.total("2") == 200


def test_method_the_machinery_hid_is_refused(ws):
    src = textwrap.dedent(
        """\
        import functools
        import attrs

        @attrs.define
        class Lazy:
            n: int = 1

            @functools.cached_property
            def square(self):
                return self.n * self.n
        """
    )
    # attrs puts a slot in its place and calls the function from a generated __getattr__
    m, apply = edit(ws, "lazyc", src, src.replace("self.n * self.n", "self.n * 100"))
    result = apply()
    assert result.status == UNSAFE and "Lazy.square" in result.detail, result
    assert m.Lazy(3).square == 9


def test_signature_change_under_a_plain_wrapping_decorator_applies(ws):
    src = textwrap.dedent(
        """\
        import functools, time
        CALLS = []
        def timed(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    print(fn.__name__, time.perf_counter() - start)
            return wrapper
        @timed
        def add(a):
            return a
        """
    )
    m, apply = edit(ws, "timedm", src, src.replace("def add(a):\n    return a", "def add(a, b=10):\n    return a + b"))
    add = m.add
    result = apply()
    assert result.status == RELOADED, result
    assert add(1) == 11 and add(1, b=2) == 3
    import inspect

    assert str(inspect.signature(add)) == "(a, b=10)"
