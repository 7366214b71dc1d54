"""Reloads that would leave behind a record machinery kept of what it built (a registry
filled by a decorator or ``__init_subclass__``, a dispatch table): refused out loud,
while builders that keep nothing still let the edit apply.  Also: members added to a
``__slots__`` class, and statements run again reading names as they were at import.
"""

from __future__ import annotations

import pytest
from reload_helpers import Workspace

from freshrepl.protocol import RELOADED, UNSAFE


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


def reload_edit(ws: Workspace, name: str, old: str, new: str):
    """Write ``old``, import it, write ``new`` and reload: (module, result)."""
    ws.write(f"{name}.py", old)
    module = ws.load(name)
    ws.write(f"{name}.py", new)
    return module, ws.reload_one(name)


def refused(ws: Workspace, name: str, old: str, new: str, *words: str):
    module, result = reload_edit(ws, name, old, new)
    assert result.status == UNSAFE, result
    for word in words:
        assert word in result.detail, result.detail
    return module


# -- removing what a builder may have recorded ------------------------------------------

PLUGINS = """\
class Plugin:
    registry = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Plugin.registry[cls.__name__.lower()] = cls


class Checked:
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not hasattr(cls, "run"):
            raise TypeError(cls.__name__ + " needs run")


class Alpha(Plugin):
    pass


class Beta(Plugin):
    pass


class Gamma(Checked):
    def run(self):
        return 1
"""


def test_removing_a_subclass_an_init_subclass_registry_saw_is_refused(ws):
    m = refused(ws, "plugins", PLUGINS, PLUGINS.replace("class Beta(Plugin):\n    pass\n", ""),
                "Beta: removing a class that Plugin.__init_subclass__ has seen")
    assert sorted(m.Plugin.registry) == ["alpha", "beta"] and hasattr(m, "Beta")


def test_removing_a_subclass_of_a_hook_that_only_checks_applies(ws):
    gone = "class Gamma(Checked):\n    def run(self):\n        return 1\n"
    m, result = reload_edit(ws, "checked", PLUGINS, PLUGINS.replace(gone, ""))
    assert result.status == RELOADED, result
    assert not hasattr(m, "Gamma")


def test_removing_a_subclass_a_hook_recorded_through_the_class_is_refused(ws):
    """No global is named: the hook reaches the base's list through ``cls``."""
    src = (
        "class Base:\n    seen = []\n\n    def __init_subclass__(cls):\n"
        "        cls.seen.append(cls.__name__)\n\n\nclass One(Base):\n    pass\n"
    )
    m = refused(ws, "viacls", src, src.replace("class One(Base):\n    pass\n", ""),
                "One: removing a class that Base.__init_subclass__ has seen")
    assert m.Base.seen == ["One"]


DECORATED = """\
import dataclasses
import functools
import time

REGISTRY = []
HANDLERS = {}


def register(cls):
    REGISTRY.append(cls.__name__)
    return cls


def handler(name):
    def deco(fn):
        HANDLERS[name] = fn
        return fn
    return deco


def mine(fn):
    fn.mine = True
    return fn


def shout(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args) + "!"
    return wrapper


def timed(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        start = time.perf_counter()
        result = fn(*args)
        print(fn.__name__, time.perf_counter() - start)
        return result
    return wrapper


@register
class A:
    pass


@dataclasses.dataclass
class D:
    x: int = 0


@handler("a")
def on_a():
    return "a"


@shout
def loud():
    return "loud"


@timed
def slow():
    return "slow"


@mine
def kept():
    return "kept"


class K:
    @handler("k")
    def on_k(self):
        return "k"

    @property
    def p(self):
        return 1
"""


@pytest.mark.parametrize(
    "gone, words",
    [
        ("@register\nclass A:\n    pass\n", "A: removing a class its decorator `register` may have"),
        ('@handler("a")\ndef on_a():\n    return "a"\n',
         "on_a: removing a function its decorator `handler` may have registered"),
        ('    @handler("k")\n    def on_k(self):\n        return "k"\n',
         "K.on_k: removing a function its decorator `handler` may have registered"),
    ],
    ids=["class decorator", "function decorator", "method decorator"],
)
def test_removing_what_a_decorator_registered_is_refused(ws, gone, words):
    m = refused(ws, "regd", DECORATED, DECORATED.replace(gone, ""), words)
    assert m.REGISTRY == ["A"] and sorted(m.HANDLERS) == ["a", "k"]


def test_removing_what_a_decorator_only_decorated_applies(ws):
    new = DECORATED
    for gone in ["@dataclasses.dataclass\nclass D:\n    x: int = 0\n",
                 '@shout\ndef loud():\n    return "loud"\n',
                 '@timed\ndef slow():\n    return "slow"\n',
                 "    @property\n    def p(self):\n        return 1\n"]:
        new = new.replace(gone, "")
    m, result = reload_edit(ws, "plaind", DECORATED, new)
    assert result.status == RELOADED, result
    assert not hasattr(m, "D") and not hasattr(m, "loud") and not hasattr(m, "slow")
    assert not hasattr(m.K, "p")


def test_decorator_removed_from_a_def_leaves_nothing_it_set(ws):
    ws.write("unmark.py", DECORATED)
    m = ws.load("unmark")
    ws.run_main("from unmark import kept")
    ws.write("unmark.py", DECORATED.replace("@mine\ndef kept", "def kept"))
    result = ws.reload_one("unmark")
    assert result.status == RELOADED, result
    assert ws.main.kept is m.kept and not hasattr(m.kept, "mine") and m.kept() == "kept"


def test_decorator_that_registered_removed_from_a_def_is_refused(ws):
    m = refused(ws, "unreg", DECORATED, DECORATED.replace('@handler("a")\ndef on_a', "def on_a"),
                "on_a: changing the decorators of a function its decorator `handler` may have")
    assert sorted(m.HANDLERS) == ["a", "k"]


DISPATCH = """\
import functools


@functools.singledispatch
def show(x):
    return "object"


@show.register
def _(x: int):
    return "int"


@show.register
def _(x: str):
    return "str"
"""


@pytest.mark.parametrize(
    "old, new, words",
    [
        ('@show.register\ndef _(x: int):\n    return "int"\n', "", "_: redefining a function"),
        ("def _(x: int):", "def _(x: float):", "_: redefining a function"),
    ],
    ids=["implementation removed", "implementation retyped"],
)
def test_singledispatch_implementation_gone_is_refused(ws, old, new, words):
    m = refused(ws, "disp", DISPATCH, DISPATCH.replace(old, new), words, "`show.register`")
    assert m.show(1) == "int" and m.show(1.5) == "object"


def test_single_singledispatch_implementation_removed_is_refused(ws):
    one = DISPATCH.replace('@show.register\ndef _(x: str):\n    return "str"\n', "")
    m = refused(ws, "disp1", one, one.replace('@show.register\ndef _(x: int):\n    return "int"\n', ""),
                "_: removing a function its decorator `show.register` may have registered")
    assert m.show(1) == "int"


def test_a_sqlalchemy_model_removed_is_refused(ws):
    pytest.importorskip("sqlalchemy")
    src = """\
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
"""
    gone = 'class Item(Base):\n    __tablename__ = "items"\n    id: Mapped[int] = mapped_column(primary_key=True)\n'
    m = refused(ws, "models", src, src.replace(gone, ""), "Item: removing a class")
    assert sorted(m.Base.metadata.tables) == ["items", "users"]


# -- __slots__ classes -------------------------------------------------------------------

SLOTS = """\
class Point:
    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x
"""


def test_method_added_to_a_slots_class_applies(ws):
    ws.write("slotp.py", SLOTS)
    m = ws.load("slotp")
    p = m.Point(1)
    ws.write("slotp.py", SLOTS + '\n    def __repr__(self):\n        return f"Point({self.x})"\n')
    result = ws.reload_one("slotp")
    assert result.status == RELOADED, result
    assert repr(p) == "Point(1)" and type(p) is m.Point


def test_class_attribute_named_like_a_slot_is_refused(ws):
    refused(ws, "slotc", SLOTS, SLOTS.replace('    __slots__ = ("x",)\n', '    __slots__ = ("x",)\n    x = 0\n'),
            "Point.x: conflicts with __slots__")


# -- statements run again see names as they were at import --------------------------------

DELETED_IMPORT = """\
import re


def is_junk(line, pat=re.compile(r"\\s*#?$").match):
    return pat(line) is not None


class Junk:
    pattern = re.compile("#")


del re
"""


def test_changed_default_reads_an_import_the_module_deletes_later(ws):
    ws.write("delre.py", DELETED_IMPORT)
    m = ws.load("delre")
    before = m.is_junk
    ws.write("delre.py", DELETED_IMPORT.replace("#?$", "#*$").replace('"#"', '"##"'))
    result = ws.reload_one("delre")
    assert result.status == RELOADED, result
    assert before is m.is_junk and before("  ##") and m.Junk.pattern.pattern == "##"
    assert "re" not in vars(m) and "re" not in vars(m.Junk)


def test_a_later_rebinding_runs_again_after_an_earlier_one_changed(ws):
    m, result = reload_edit(ws, "rebind", "X = 1\nY = X * 2\nX = 3\n", "X = 2\nY = X * 2\nX = 3\n")
    assert result.status == RELOADED, result
    assert (m.X, m.Y) == (3, 4)


def test_changed_default_reading_a_name_rebound_later_is_refused(ws):
    src = "X = 1\n\n\ndef f(a=X):\n    return a\n\n\nX = 3\n"
    m = refused(ws, "later", src, src.replace("a=X", "a=X + 1"), "f: reads `X`, which a later statement rebinds")
    assert m.f() == 1


def test_body_edit_keeps_a_default_read_from_a_name_rebound_later(ws):
    src = "X = 1\n\n\ndef f(a=X):\n    return a\n\n\nX = 3\n"
    m, result = reload_edit(ws, "keepdef", src, src.replace("return a\n", "return a * 10\n"))
    assert result.status == RELOADED, result
    assert m.f() == 10


def test_singledispatch_implementation_body_edit_applies(ws):
    """Same decorators and signature: registered again under the same type, replacing."""
    m, result = reload_edit(ws, "dispb", DISPATCH, DISPATCH.replace('return "int"', 'return "INT"'))
    assert result.status == RELOADED, result
    assert (m.show(1), m.show("s"), m.show(1.5)) == ("INT", "str", "object")


def test_redefined_function_whose_old_version_stays_registered_is_refused(ws):
    src = (
        "HOOKS = []\n\n\ndef hook(fn):\n    HOOKS.append(fn)\n    return fn\n\n\n"
        "@hook\ndef _():\n    return 1\n\n\n@hook\ndef _():\n    return 2\n"
    )
    m = refused(ws, "hooks2", src, src.replace("return 1", "return 10"),
                "_: redefined, but what its decorators registered still holds the old function")
    assert [f() for f in m.HOOKS] == [1, 2]
