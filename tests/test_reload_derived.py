"""What the standard library derived from old code after a reload, against a fresh
interpreter: lru caches (also when only a constant they read changed), cached_property
values on instances, singledispatch caches, ABC abstract sets and registry caches,
Protocol member sets, total_ordering, enum and dataclass derived attributes; each is
recomputed (the answers are a fresh interpreter's) or the change is refused."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from reload_helpers import Workspace

from freshrepl.protocol import RELOADED, UNSAFE


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


def answer(expression: str, namespace: dict) -> str:
    try:
        return repr(eval(expression, namespace))
    except Exception as exc:  # what a fresh interpreter raises is an answer too
        return f"raises {type(exc).__name__}"


_FRESH = """\
import json, sys
namespace = {"__name__": "__main__"}
exec(sys.argv[1], namespace)
out = []
for expression in json.loads(sys.argv[2]):
    try:
        out.append(repr(eval(expression, namespace)))
    except Exception as exc:
        out.append(f"raises {type(exc).__name__}")
print(json.dumps(out))
"""


def fresh(ws: Workspace, setup: str, probes: list[str]) -> list[str]:
    """The probes' answers in a new interpreter that ran ``setup`` on the edited files."""
    done = subprocess.run(
        [sys.executable, "-c", _FRESH, setup, json.dumps(probes)],
        cwd=ws.root, capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ws.root), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def reload_case(ws: Workspace, old: dict[str, str], new: dict[str, str], setup: str,
                probes: list[str]) -> tuple[list[str], dict[str, str]]:
    """Write ``old``, run ``setup`` at the prompt, save ``new``, reload: the live answers
    (after checking they are a fresh interpreter's when everything reloaded) and the
    status per module."""
    for name, text in old.items():
        ws.write(f"{name}.py", text)
    ws.run_main(setup)
    for name, text in new.items():
        ws.write(f"{name}.py", text)
    statuses = {r.module: r.status for r in ws.reload()}
    live = [answer(p, ws.main.__dict__) for p in probes]
    if all(s == RELOADED for s in statuses.values()):
        assert live == fresh(ws, textwrap.dedent(setup), probes), statuses
    return live, statuses


# -- functools caches --------------------------------------------------------------------------

CALC = """\
import functools

FACTOR = 2

@functools.cache
def scaled(x):
    return x * FACTOR

class K:
    @staticmethod
    @functools.lru_cache(maxsize=8)
    def s(x):
        return x + FACTOR

    @functools.cache
    def m(self, x):
        return x - FACTOR
"""


def test_cache_cleared_when_only_a_constant_it_reads_changed(ws):
    live, statuses = reload_case(
        ws, {"calc": CALC}, {"calc": CALC.replace("FACTOR = 2", "FACTOR = 5")},
        "from calc import scaled, K\nk = K()\nscaled(3), K.s(1), k.m(10)",
        ["scaled(3)", "K.s(1)", "k.m(10)"],
    )
    assert statuses == {"calc": RELOADED}
    assert live == ["15", "6", "5"]


def test_caches_of_importers_and_main_cleared(ws):
    user = "import functools\nimport calc\n\n@functools.cache\ndef twice(x):\n    return calc.scaled(x) * 2\n"
    live, statuses = reload_case(
        ws, {"calc": CALC, "user": user}, {"calc": CALC.replace("FACTOR = 2", "FACTOR = 5")},
        """\
        import functools, user
        @functools.cache
        def here(x):
            return user.twice(x) + 1
        here(3)
        """,
        ["user.twice(3)", "here(3)"],
    )
    assert live == ["30", "31"]


def test_cached_property_values_dropped_from_instances(ws):
    shapes = """\
import functools

SCALE = 1

class Box:
    def __init__(self, w):
        self.w = w

    @functools.cached_property
    def area(self):
        return self.w * self.w * SCALE

class Big(Box):
    pass
"""
    setup = "from shapes import Box, Big\nb = Box(2)\nbig = Big(3)\nb.area, big.area"
    live, _ = reload_case(ws, {"shapes": shapes}, {"shapes": shapes.replace("SCALE = 1", "SCALE = 10")},
                          setup, ["b.area", "big.area", "b.w"])
    assert live == ["40", "90", "2"]
    body = shapes.replace("SCALE = 1", "SCALE = 10").replace("* SCALE", "* SCALE + 1")
    ws.write("shapes.py", body)
    assert ws.reload_one("shapes").status == RELOADED
    assert [answer(p, ws.main.__dict__) for p in ("b.area", "big.area")] == ["41", "91"]


def test_cached_property_value_dropped_when_only_a_subclass_instance_holds_one(ws):
    """Only an instance of a subclass, held only by a list in another module: the class
    has no instance of its own, the subclass has one, and its value is dropped."""
    shapes = "import functools\nSCALE = 1\nclass Box:\n    @functools.cached_property\n" \
             "    def area(self):\n        return 4 * SCALE\nclass Big(Box):\n    pass\n"
    ws.write("shapes.py", shapes)
    ws.write("keeper.py", "KEPT = []\n")
    shapes_module, keeper = ws.load("shapes"), ws.load("keeper")
    keeper.KEPT.append(shapes_module.Big())
    assert keeper.KEPT[0].area == 4
    ws.write("shapes.py", shapes.replace("SCALE = 1", "SCALE = 10"))
    assert ws.reload_one("shapes").status == RELOADED
    assert keeper.KEPT[0].area == 40


def test_may_have_instances_counts_only_what_it_can_explain():
    """A class is said to have no instances only when every reference to it is
    explained; an instance, or any reference not explained, keeps it among those that may."""
    from freshrepl.reload.derived import may_have_instances

    namespace: dict = {}
    exec("class Alone: pass\nclass Made: pass\nclass Listed: pass\nclass Base: pass\n"
         "class Sub(Base): pass\nMADE = Made()\nLISTED = [Listed]\n", namespace)
    names = ["Alone", "Made", "Listed", "Base", "Sub"]
    classes = [namespace[n] for n in names]
    live = may_have_instances(classes, [namespace], lambda klass: 0)
    assert [k.__name__ for k in live] == ["Made", "Listed", "Base"]  # Base: Sub holds it
    del namespace["MADE"], live  # (``live`` held Made and Listed: a reference too)
    live = may_have_instances(classes, [namespace], lambda klass: 0)
    assert [k.__name__ for k in live] == ["Listed", "Base"]


# -- singledispatch and the ABC caches -------------------------------------------------------

BOX = "class Box:\n    def __init__(self):\n        self.items = [1, 2]\n"
LIB = """\
import collections.abc
import functools

@functools.singledispatch
def show(x):
    return "other"

@show.register
def _(x: collections.abc.Sized):
    return "sized"

class Shower:
    @functools.singledispatchmethod
    def show(self, x):
        return "other"

    @show.register
    def _(self, x: collections.abc.Sized):
        return "sized"
"""


def test_method_added_reaches_abc_caches_and_dispatch_caches(ws):
    """``Box`` gains ``__len__``: ``Sized`` and the dispatchers that asked about it before
    (in a module that does not import ``box``) answer as a fresh process does."""
    with_len = BOX + "\n    def __len__(self):\n        return len(self.items)\n"
    live, statuses = reload_case(
        ws, {"box": BOX, "lib": LIB}, {"box": with_len},
        """\
        import collections.abc
        from box import Box
        from lib import show, Shower
        b = Box()
        show(b), Shower().show(b), isinstance(b, collections.abc.Sized)
        """,
        ["show(b)", "Shower().show(b)", "isinstance(b, collections.abc.Sized)",
         "issubclass(Box, collections.abc.Sized)"],
    )
    assert statuses == {"box": RELOADED}
    assert live == ["'sized'", "'sized'", "True", "True"]
    # and back: the method removed again
    ws.write("box.py", BOX)
    assert ws.reload_one("box").status == RELOADED
    assert [answer(p, ws.main.__dict__) for p in ("show(b)", "isinstance(b, collections.abc.Sized)")] == [
        "'other'", "False"]


# -- ABC abstract sets -----------------------------------------------------------------------

SHAPES = """\
from abc import ABC, abstractmethod

class Shape(ABC):
    @abstractmethod
    def area(self): ...

class Sq(Shape):
    def area(self):
        return 1
"""


def test_abstract_method_added_to_an_abc_reaches_subclasses(ws):
    ws.write("more.py", "from shapes import Sq\n\nclass Sq2(Sq):\n    pass\n")
    added = SHAPES.replace("    def area(self): ...\n", "    def area(self): ...\n\n    @abstractmethod\n    def perimeter(self): ...\n", 1)
    live, statuses = reload_case(
        ws, {"shapes": SHAPES}, {"shapes": added},
        "from shapes import Shape, Sq\nfrom more import Sq2\nsq = Sq2",
        ["sorted(Shape.__abstractmethods__)", "sorted(Sq.__abstractmethods__)",
         "sorted(Sq2.__abstractmethods__)", "Sq()", "Sq2()"],
    )
    assert statuses == {"shapes": RELOADED}
    assert live[1:] == ["['perimeter']", "['perimeter']", "raises TypeError", "raises TypeError"]
    implemented = added.replace("        return 1\n", "        return 1\n\n    def perimeter(self):\n        return 4\n")
    ws.write("shapes.py", implemented)
    assert ws.reload_one("shapes").status == RELOADED
    assert answer("Sq2().perimeter()", ws.main.__dict__) == "4"
    assert answer("Sq.__abstractmethods__", ws.main.__dict__) == "frozenset()"


# -- typing.Protocol -------------------------------------------------------------------------

PROTO = """\
from typing import Protocol, runtime_checkable

@runtime_checkable
class Closer(Protocol):
    def close(self): ...

class F:
    def close(self):
        pass
"""


def test_member_added_to_a_runtime_protocol(ws):
    added = PROTO.replace("    def close(self): ...\n", "    def close(self): ...\n\n    def flush(self): ...\n", 1)
    live, statuses = reload_case(
        ws, {"proto": PROTO}, {"proto": added},
        "from proto import Closer, F\nisinstance(F(), Closer)",
        ["isinstance(F(), Closer)", "issubclass(F, Closer)",
         "sorted(getattr(Closer, '__protocol_attrs__', ['close', 'flush']))"],
    )
    assert statuses == {"proto": RELOADED}
    assert live == ["False", "False", "['close', 'flush']"]


def test_data_member_added_to_a_protocol_is_refused_or_fresh(ws):
    added = PROTO.replace("    def close(self): ...\n", "    def close(self): ...\n\n    name: str\n", 1)
    live, statuses = reload_case(ws, {"proto": PROTO}, {"proto": added},
                                 "from proto import Closer, F", ["isinstance(F(), Closer)"])
    assert statuses == {"proto": UNSAFE} and live == ["True"]


# -- total_ordering ----------------------------------------------------------------------------

ORDER = """\
import functools

@functools.total_ordering
class V:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return self.v == other.v

    def __lt__(self, other):
        return self.v < other.v
"""


def test_total_ordering_root_body_edit_applies(ws):
    flipped = ORDER.replace("return self.v < other.v", "return self.v > other.v")
    live, statuses = reload_case(ws, {"order": ORDER}, {"order": flipped}, "from order import V",
                                 ["V(1) < V(2)", "V(1) > V(2)", "V(1) <= V(2)", "V(1) >= V(2)"])
    assert statuses == {"order": RELOADED} and live == ["False", "True", "False", "True"]


def test_total_ordering_root_changed_is_refused(ws):
    rooted_gt = ORDER.replace("def __lt__(self, other):\n        return self.v < other.v",
                              "def __gt__(self, other):\n        return self.v < other.v")
    live, statuses = reload_case(ws, {"order": ORDER}, {"order": rooted_gt}, "from order import V",
                                 ["V(1) < V(2)"])
    assert statuses == {"order": UNSAFE} and live == ["True"]


# -- enum and dataclass ------------------------------------------------------------------------

PLANET = """\
import enum

class Planet(enum.Enum):
    EARTH = (5, 6)

    def __init__(self, mass, radius):
        self.mass = mass
        self.radius = radius

    def surface(self):
        return self.radius * 2

class Auto(enum.Enum):
    def _generate_next_value_(name, start, count, last_values):
        return count * 10

    A = enum.auto()
"""


@pytest.mark.parametrize(
    ("old", "new", "status", "probe", "expected"),
    [
        ("self.mass = mass", "self.mass = mass * 2", UNSAFE, "Planet.EARTH.mass", "5"),
        ("return count * 10", "return count * 100", UNSAFE, "Auto.A.value", "0"),
        ("return self.radius * 2", "return self.radius * 3", RELOADED, "Planet.EARTH.surface()", "18"),
        ("EARTH = (5, 6)", "EARTH = (5, 7)", UNSAFE, "Planet.EARTH.radius", "6"),
    ],
)
def test_enum_what_built_the_members(ws, old, new, status, probe, expected):
    live, statuses = reload_case(ws, {"planet": PLANET}, {"planet": PLANET.replace(old, new)},
                                 "from planet import Planet, Auto", [probe])
    assert statuses == {"planet": status} and live == [expected]


DATA = """\
import dataclasses

DEFAULT = 1

@dataclasses.dataclass
class Item:
    n: int = DEFAULT

    def __post_init__(self):
        self.double = self.n * 2
"""


@pytest.mark.parametrize(
    ("old", "new", "status", "expected"),
    [
        ("DEFAULT = 1", "DEFAULT = 3", UNSAFE, ["1", "2", "'Item(n: int = 1)'"]),
        ("self.n * 2", "self.n * 5", RELOADED, ["1", "5", "'Item(n: int = 1)'"]),
    ],
)
def test_dataclass_derived_attributes(ws, old, new, status, expected):
    live, statuses = reload_case(
        ws, {"data": DATA}, {"data": DATA.replace(old, new)}, "from data import Item",
        ["Item().n", "Item().double", "Item.__doc__.replace(' -> None', '')"],
    )
    assert statuses == {"data": status} and live == expected


def test_subclasshook_edit_resets_the_abc_caches(ws):
    hook = """\
import abc

class Lengthy(abc.ABC):
    @classmethod
    def __subclasshook__(cls, other):
        return hasattr(other, "__len__")
"""
    live, statuses = reload_case(
        ws, {"hook": hook}, {"hook": hook.replace('"__len__"', '"__index__"')},
        "from hook import Lengthy\nisinstance([], Lengthy), isinstance(1, Lengthy)",
        ["isinstance([], Lengthy)", "isinstance(1, Lengthy)"],
    )
    assert statuses == {"hook": RELOADED} and live == ["False", "True"]


def test_changed_call_that_adds_to_a_live_object_is_refused(ws):
    logs = """\
import logging

LOG = logging.getLogger("freshrepl-test-adds")
LOG.addHandler(logging.StreamHandler())
LOG.setLevel(logging.INFO)
"""
    live, statuses = reload_case(
        ws, {"logs": logs}, {"logs": logs.replace("logging.StreamHandler()", "logging.NullHandler()")},
        "import logs", ["[type(h).__name__ for h in logs.LOG.handlers]"],
    )
    assert statuses == {"logs": UNSAFE} and live == ["['StreamHandler']"]
    ws.write("logs.py", logs.replace("logging.INFO", "logging.DEBUG"))  # a setter: applies
    assert ws.reload_one("logs").status == RELOADED
    assert answer("logs.LOG.level, len(logs.LOG.handlers)", ws.main.__dict__) == "(10, 1)"
