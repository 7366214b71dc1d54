"""Benchmark: how often a live reload gives the right result, for freshrepl vs IPython's %autoreload 2 vs importlib.reload.

Run:  python3 bench/bench_correctness.py [--only NAME] [--jobs N] [--runners freshrepl,...]

(an interpreter with the ``test`` extra installed runs the pydantic, attrs,
SQLAlchemy and msgspec scenarios too; where one is missing its scenarios are
listed as skipped.)

Each scenario is a small user module (or a few), some statements typed in
``__main__`` (imports, instances, a filled cache ...), an edit of the file(s),
and a check evaluated in ``__main__`` after the reload.  The check is True iff
the result is *right*: what restarting Python and re-running the same
statements would give, except where docs/contract.md ("Reloading: what 'fresh'
means") says state must survive a reload (caches kept, registrations not
repeated, only changed top-level statements run again, class identity kept).

Some scenarios are edits docs/contract.md says must be *refused* (changed bases,
metaclass, ``__slots__``, dataclass / enum / NamedTuple fields, closure free
variables, ``__freshrepl_reload__ = False``) or that cannot be applied at all
(syntax error, an exception in the changed top-level code).  For those, the
right outcome is "refused out loud with nothing applied": a reported
failure plus the ``kept`` check (old behaviour intact).  A runner that cannot
refuse (IPython, importlib) is right there only if it applies the change
fully (the ``check``), or, for an edit that cannot run, reports the error and
keeps the old module.

Every (scenario, runner) pair runs in its own subprocess (``python -B``, so no
``.pyc`` is written or read) with a timeout.  Runners:

``freshrepl``  the in-process ``Reloader`` with a fake ``__main__`` module, as
               the kernel drives it: ``install()``, each setup input through
               ``note_main_input`` and ``exec``, ``take_module_delta()``, then
               ``reload(changed_paths, [])`` after the edit.
``ipython``    ``IPython.extensions.autoreload.ModuleReloader`` configured as
               ``%autoreload 2`` sets it (``enabled``, ``check_all``, no
               ``autoload_obj``), with the magic's pre-run ``check()`` and
               post-execute mtime bookkeeping emulated; the setup runs in a
               dict used as the user namespace.  autoreload notices a change
               only through the file's **mtime** (``st_mtime`` greater than
               the one recorded), so the original files are dated 100 s in
               the past and every edit is written with the current time.
``importlib``  ``importlib.reload`` of the changed modules, dependencies
               first: the baseline everyone starts from.

Verdicts: ``right``; ``refused`` (failure reported, old module intact, on a
scenario that must be refused); ``failed`` (failure reported on an edit that
should have applied); ``WRONG`` (silently wrong: no failure reported but the
check is False, or a failure reported with the change half-applied);
``error`` (the runner itself raised or timed out).  ``--only NAME`` runs one
scenario and prints the files, the runners' reports and the check values.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARK = "@@RESULT@@ "
RUNNERS = ("freshrepl", "ipython", "importlib")
TIMEOUT = 30.0


@dataclass
class Scenario:
    name: str
    before: dict[str, str]  # relative path -> source
    setup: list[str]  # inputs typed in __main__ before the edit, in order
    after: dict[str, str]  # relative path -> new source (the edit), in the order saved
    check: str | None  # True iff applied right; None: applying can never be right
    refuse: bool = False  # docs/contract.md says: refuse out loud, apply nothing
    kept: str = "True"  # True iff nothing of the edit was applied (for refusals)
    order: list[str] = field(default_factory=list)  # importlib: dependencies first
    note: str = ""
    needs: tuple[str, ...] = ()  # libraries the scenario imports (skipped where missing)


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def S(name, before, setup, after, check, *, refuse=False, kept="True", order=(), note="", needs=()):
    """A scenario; a plain string for ``before``/``after`` means module ``m.py``."""
    if isinstance(before, str):
        before = {"m.py": before}
    if isinstance(after, str):
        after = {"m.py": after}
    return Scenario(
        name,
        {k: _src(v) for k, v in before.items()},
        [_src(s) for s in setup],
        {k: _src(v) for k, v in after.items()},
        check,
        refuse,
        kept,
        list(order),
        note,
        tuple(needs),
    )


POINT = """
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y
"""

SCENARIOS: list[Scenario] = [
    # -- functions ------------------------------------------------------------------
    S("func_body", "def f():\n    return 1\n", ["import m"], "def f():\n    return 2\n", "m.f() == 2"),
    S(
        "func_defaults_from_import",
        "def f(x=1):\n    return x\n",
        ["from m import f"],
        "def f(x=2):\n    return x\n",
        "f() == 2",
    ),
    S(
        "func_kwdefaults",
        "def f(*, k=1):\n    return k\n",
        ["from m import f"],
        "def f(*, k=2):\n    return k\n",
        "f() == 2 and f.__kwdefaults__ == {'k': 2}",
    ),
    S(
        "func_docstring",
        "def f():\n    'old'\n    return 1\n",
        ["from m import f"],
        "def f():\n    'new'\n    return 1\n",
        "f.__doc__ == 'new' and f() == 1",
    ),
    S(
        "func_annotations",
        "def f(x: int) -> int:\n    return x\n",
        ["from m import f"],
        "def f(x: str) -> str:\n    return x\n",
        "f.__annotations__ == {'x': str, 'return': str}",
    ),
    S(
        "func_in_registry_list",
        """
        REG = []
        def register(fn):
            REG.append(fn)
            return fn
        @register
        def handler():
            return 'old'
        """,
        ["import m", "saved = list(m.REG)"],
        """
        REG = []
        def register(fn):
            REG.append(fn)
            return fn
        @register
        def handler():
            return 'new'
        """,
        "len(m.REG) == 1 and m.REG[0]() == 'new' and saved[0]() == 'new'",
    ),
    S(
        "registration_not_repeated",
        {
            "registry.py": "HANDLERS = []\n",
            "plugins.py": "import registry\ndef handle():\n    return 'old'\nregistry.HANDLERS.append(handle)\n",
        },
        ["import registry, plugins"],
        {"plugins.py": "import registry\ndef handle():\n    return 'new'\nregistry.HANDLERS.append(handle)\n"},
        "len(registry.HANDLERS) == 1 and registry.HANDLERS[0]() == 'new'",
    ),
    S(
        "new_function_added",
        "def f():\n    return 1\n",
        ["import m"],
        "def f():\n    return 1\ndef g():\n    return 'g'\n",
        "m.g() == 'g' and m.f() == 1",
    ),
    S(
        "lambda_value_from_import",
        "key = lambda x: x\n",
        ["from m import key"],
        "key = lambda x: -x\n",
        "key(1) == -1",
    ),
    S(
        "async_function",
        "async def f():\n    return 1\n",
        ["import asyncio", "from m import f"],
        "async def f():\n    return 2\n",
        "asyncio.run(f()) == 2",
    ),
    S(
        "generator_function",
        "def gen():\n    yield 1\n",
        ["from m import gen"],
        "def gen():\n    yield 2\n",
        "list(gen()) == [2]",
    ),
    S(
        "global_statement",
        """
        COUNT = 0
        def bump():
            global COUNT
            COUNT += 1
            return COUNT
        """,
        ["import m", "m.bump()"],
        """
        COUNT = 0
        def bump():
            global COUNT
            COUNT += 10
            return COUNT
        """,
        "m.bump() == 11",
        note="COUNT = 0 did not change, so it must not run again (contract 3): 1 + 10",
    ),
    S(
        "closure_body_same_freevars",
        """
        def make():
            n = 1
            def inner():
                return n
            return inner
        """,
        ["import m", "g = m.make()"],
        """
        def make():
            n = 1
            def inner():
                return n + 10
            return inner
        """,
        "g() == 11 and m.make()() == 11",
    ),
    S(
        "closure_body_module_level",
        """
        def make():
            n = 1
            def inner():
                return n
            return inner
        P = make()
        """,
        ["import m", "from m import P"],
        """
        def make():
            n = 1
            def inner():
                return n + 10
            return inner
        P = make()
        """,
        "P() == 11 and m.P() == 11",
        note="like closure_body_same_freevars, but the closure is also held by the module",
    ),
    S(
        "closure_in_module_list",
        """
        def make():
            n = 1
            def inner():
                return n
            return inner
        HANDLERS = [make()]
        """,
        ["import m", "h = m.HANDLERS[0]"],
        """
        def make():
            n = 1
            def inner():
                return n + 10
            return inner
        HANDLERS = [make()]
        """,
        "h() == 11 and m.HANDLERS[0]() == 11 and len(m.HANDLERS) == 1",
        note="the closure is reachable from the module only through a list",
    ),
    S(
        "recompute_from_function",
        "def f():\n    return 1\nVAL = f()\n",
        ["import m"],
        "def f():\n    return 2\nVAL = f()\n",
        "m.VAL == 1 and m.f() == 2",
        note="contract 3: editing a function does not re-run other top-level code, so VAL = f()"
        " keeps 1 (a restart would give 2)",
    ),
    S(
        "method_removed",
        "class C:\n    def keep(self):\n        return 1\n    def old(self):\n        return 1\n",
        ["import m", "c = m.C()"],
        "class C:\n    def keep(self):\n        return 1\n",
        "not hasattr(c, 'old') and c.keep() == 1",
    ),
    S(
        "from_import_alias_value",
        "LIMIT = 10\n",
        ["from m import LIMIT as L"],
        "LIMIT = 20\n",
        "L == 20",
    ),
    # -- decorators -------------------------------------------------------------------
    S(
        "lru_cache_edited",
        "import functools\n@functools.lru_cache\ndef sq(x):\n    return x * x\n",
        ["from m import sq", "sq(3)"],
        "import functools\n@functools.lru_cache\ndef sq(x):\n    return x * x + 1\n",
        "sq(3) == 10",
    ),
    S(
        "wraps_decorator",
        """
        import functools
        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*a):
                return ('w', fn(*a))
            return wrapper
        @deco
        def f(x):
            return x
        """,
        ["from m import f"],
        """
        import functools
        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*a):
                return ('w', fn(*a))
            return wrapper
        @deco
        def f(x):
            return x + 1
        """,
        "f(1) == ('w', 2) and f.__wrapped__(1) == 2",
    ),
    S(
        "decorator_changed",
        """
        def deco_a(fn):
            def w(*a):
                return ('a', fn(*a))
            return w
        def deco_b(fn):
            def w(*a):
                return ('b', fn(*a))
            return w
        @deco_a
        def f(x):
            return x
        """,
        ["from m import f"],
        """
        def deco_a(fn):
            def w(*a):
                return ('a', fn(*a))
            return w
        def deco_b(fn):
            def w(*a):
                return ('b', fn(*a))
            return w
        @deco_b
        def f(x):
            return x
        """,
        "f(1) == ('b', 1)",
    ),
    S(
        "singledispatch_survives",
        """
        from functools import singledispatch
        class P:
            def name(self):
                return 'p-old'
        @singledispatch
        def show(x):
            return 'obj'
        @show.register
        def _(x: int):
            return 'int-old'
        @show.register
        def _(x: P):
            return 'P:' + x.name()
        """,
        ["from m import show, P", "p = P()"],
        """
        from functools import singledispatch
        class P:
            def name(self):
                return 'p-new'
        @singledispatch
        def show(x):
            return 'obj'
        @show.register
        def _(x: int):
            return 'int-new'
        @show.register
        def _(x: P):
            return 'P:' + x.name()
        """,
        "show(1) == 'int-new' and show(p) == 'P:p-new' and show(P()) == 'P:p-new' and show('s') == 'obj'",
    ),
    # -- classes --------------------------------------------------------------------
    S(
        "bound_method",
        "class C:\n    def meth(self):\n        return 1\n",
        ["import m", "bm = m.C().meth"],
        "class C:\n    def meth(self):\n        return 2\n",
        "bm() == 2",
    ),
    S(
        "method_old_instance",
        "class C:\n    def meth(self):\n        return 1\n",
        ["import m", "c = m.C()"],
        "class C:\n    def meth(self):\n        return 2\n",
        "c.meth() == 2 and m.C().meth() == 2",
    ),
    S(
        "repr_added",
        POINT,
        ["import m", "p = m.Point(1, 2)"],
        POINT + "    def __repr__(self):\n        return f'Point({self.x}, {self.y})'\n",
        "repr(p) == 'Point(1, 2)'",
    ),
    S(
        "property_changed",
        "class C:\n    @property\n    def area(self):\n        return 1\n",
        ["import m", "c = m.C()"],
        "class C:\n    @property\n    def area(self):\n        return 2\n",
        "c.area == 2",
    ),
    S(
        "classmethod_changed",
        "class C:\n    @classmethod\n    def make(cls):\n        return ('old', cls)\n",
        ["from m import C"],
        "class C:\n    @classmethod\n    def make(cls):\n        return ('new', cls)\n",
        "C.make() == ('new', C)",
    ),
    S(
        "staticmethod_changed",
        "class C:\n    @staticmethod\n    def util():\n        return 'old'\n",
        ["from m import C", "c = C()"],
        "class C:\n    @staticmethod\n    def util():\n        return 'new'\n",
        "C.util() == 'new' and c.util() == 'new'",
    ),
    S(
        "class_attribute",
        "class C:\n    LIMIT = 1\n",
        ["import m", "c = m.C()"],
        "class C:\n    LIMIT = 2\n",
        "c.LIMIT == 2 and m.C.LIMIT == 2",
    ),
    S(
        "subclass_other_module",
        {
            "base.py": "class Base:\n    def hello(self):\n        return 'old'\n",
            "sub.py": "from base import Base\nclass Sub(Base):\n    pass\n",
        },
        ["import sub", "s = sub.Sub()"],
        {"base.py": "class Base:\n    def hello(self):\n        return 'new'\n"},
        "s.hello() == 'new' and sub.Sub().hello() == 'new' and issubclass(sub.Sub, sub.Base)",
    ),
    S(
        "super_zero_arg",
        """
        class A:
            def f(self):
                return 'A1'
        class B(A):
            def f(self):
                return 'B1+' + super().f()
        """,
        ["import m", "b = m.B()"],
        """
        class A:
            def f(self):
                return 'A1'
        class B(A):
            def f(self):
                return 'B2+' + super().f()
        """,
        "b.f() == 'B2+A1' and m.B().f() == 'B2+A1'",
    ),
    S(
        "super_two_arg",
        """
        class A:
            def f(self):
                return 'A1'
        class B(A):
            def f(self):
                return 'B1+' + super(B, self).f()
        """,
        ["import m", "b = m.B()"],
        """
        class A:
            def f(self):
                return 'A1'
        class B(A):
            def f(self):
                return 'B2+' + super(B, self).f()
        """,
        "b.f() == 'B2+A1' and m.B().f() == 'B2+A1'",
    ),
    S(
        "isinstance_after_edit",
        POINT + "    def norm(self):\n        return 1\n",
        ["import m", "p = m.Point(1, 2)"],
        POINT + "    def norm(self):\n        return 2\n",
        "isinstance(p, m.Point) and type(p) is m.Point and p.norm() == 2",
    ),
    S(
        "pickle_after_edit",
        POINT + "    def norm(self):\n        return 1\n",
        ["import pickle", "import m", "p = m.Point(1, 2)"],
        POINT + "    def norm(self):\n        return 2\n",
        "type(pickle.loads(pickle.dumps(p))) is m.Point and pickle.loads(pickle.dumps(p)).norm() == 2",
    ),
    S(
        "custom_metaclass_method_edit",
        """
        class Meta(type):
            created = []
            def __init__(cls, name, bases, ns):
                super().__init__(name, bases, ns)
                Meta.created.append(name)
        class C(metaclass=Meta):
            def f(self):
                return 1
        """,
        ["import m", "c = m.C()"],
        """
        class Meta(type):
            created = []
            def __init__(cls, name, bases, ns):
                super().__init__(name, bases, ns)
                Meta.created.append(name)
        class C(metaclass=Meta):
            def f(self):
                return 2
        """,
        "c.f() == 2 and isinstance(c, m.C) and m.Meta.created == ['C'] and type(m.C) is m.Meta",
    ),
    S(
        "dataclass_method",
        """
        from dataclasses import dataclass
        @dataclass
        class D:
            x: int
            def scaled(self):
                return self.x * 2
        """,
        ["import m", "d = m.D(2)"],
        """
        from dataclasses import dataclass
        @dataclass
        class D:
            x: int
            def scaled(self):
                return self.x * 3
        """,
        "d.scaled() == 6 and d == m.D(2)",
    ),
    S(
        "frozen_dataclass_method",
        """
        from dataclasses import dataclass
        @dataclass(frozen=True)
        class F:
            x: int
            def scaled(self):
                return self.x * 2
        """,
        ["import m", "fz = m.F(2)"],
        """
        from dataclasses import dataclass
        @dataclass(frozen=True)
        class F:
            x: int
            def scaled(self):
                return self.x * 3
        """,
        "fz.scaled() == 6 and fz == m.F(2) and hash(fz) == hash(m.F(2))",
    ),
    S(
        "enum_method",
        "from enum import Enum\nclass Color(Enum):\n    RED = 1\n    def label(self):\n        return 'old'\n",
        ["import m", "c = m.Color.RED"],
        "from enum import Enum\nclass Color(Enum):\n    RED = 1\n    def label(self):\n        return 'new'\n",
        "c.label() == 'new' and c is m.Color.RED and m.Color(1) is c",
    ),
    S(
        "namedtuple_method",
        """
        from typing import NamedTuple
        class P(NamedTuple):
            x: int
            y: int
            def total(self):
                return self.x + self.y
        """,
        ["import m", "p = m.P(2, 3)"],
        """
        from typing import NamedTuple
        class P(NamedTuple):
            x: int
            y: int
            def total(self):
                return self.x * self.y
        """,
        "p.total() == 6 and isinstance(p, m.P)",
    ),
    S(
        "eq_added_hash_none",
        "class C:\n    def __init__(self, v):\n        self.v = v\n",
        ["import m", "c = m.C(1)"],
        "class C:\n    def __init__(self, v):\n        self.v = v\n    def __eq__(self, o):\n        return self.v == o.v\n",
        "c == m.C(1) and m.C.__hash__ is None",
        note="a class that defines __eq__ and not __hash__ is unhashable",
    ),
    S(
        "method_to_property",
        "class C:\n    def area(self):\n        return 1\n",
        ["import m", "c = m.C()"],
        "class C:\n    @property\n    def area(self):\n        return 2\n",
        "c.area == 2",
    ),
    S(
        "property_setter_added",
        "class C:\n    @property\n    def v(self):\n        return getattr(self, '_v', 0)\n",
        ["import m", "c = m.C()"],
        "class C:\n    @property\n    def v(self):\n        return getattr(self, '_v', 0)\n"
        "    @v.setter\n    def v(self, val):\n        self._v = val\n",
        "(setattr(c, 'v', 5) or c.v) == 5",
    ),
    S(
        "nested_class_method",
        "class Outer:\n    class Inner:\n        def f(self):\n            return 1\n",
        ["import m", "i = m.Outer.Inner()"],
        "class Outer:\n    class Inner:\n        def f(self):\n            return 2\n",
        "i.f() == 2 and type(i) is m.Outer.Inner",
    ),
    S(
        "class_attr_reads_constant",
        "X = 1\nclass C:\n    LIM = X\n",
        ["import m", "c = m.C()"],
        "X = 2\nclass C:\n    LIM = X\n",
        "c.LIM == 2 and m.C.LIM == 2",
    ),
    S(
        "default_reads_constant",
        "X = 1\ndef f(a=X):\n    return a\n",
        ["from m import f"],
        "X = 2\ndef f(a=X):\n    return a\n",
        "f() == 2",
    ),
    S(
        "lambda_in_main_list",
        "key = lambda x: x\n",
        ["import m", "fs = [m.key]"],
        "key = lambda x: -x\n",
        "fs[0](1) == -1 and m.key(1) == -1",
    ),
    S(
        "traceback_true_line",
        "def f():\n    raise ValueError('x')\n",
        [
            "import m, traceback",
            """
            def where(fn):
                try:
                    fn()
                except ValueError as exc:
                    frame = traceback.extract_tb(exc.__traceback__)[-1]
                    return frame.lineno, frame.line
            """,
        ],
        "# one\n# two\ndef g():\n    return 1\ndef f():\n    raise ValueError('x')\n",
        "where(m.f) == (6, \"raise ValueError('x')\")",
        note="f did not change but moved down 4 lines (contract 6: true file, line and text)",
    ),
    S(
        "method_gains_super",
        "class A:\n    def f(self):\n        return 'A'\nclass B(A):\n    def f(self):\n        return 'B'\n",
        ["import m", "b = m.B()", "bf = b.f"],
        "class A:\n    def f(self):\n        return 'A'\nclass B(A):\n    def f(self):\n        return 'B+' + super().f()\n",
        "b.f() == 'B+A' and bf() == 'B+A'",
    ),
    S(
        "set_name_descriptor_added",
        """
        class Field:
            def __set_name__(self, owner, name):
                self.name = name
            def __get__(self, obj, owner=None):
                return self.name
        class C:
            a = Field()
        """,
        ["import m", "c = m.C()"],
        """
        class Field:
            def __set_name__(self, owner, name):
                self.name = name
            def __get__(self, obj, owner=None):
                return self.name
        class C:
            a = Field()
            b = Field()
        """,
        "c.a == 'a' and c.b == 'b'",
        note="type() calls __set_name__ on new class attributes",
    ),
    S(
        "class_decorator_registration",
        """
        REG = []
        def register(cls):
            REG.append(cls)
            return cls
        @register
        class C:
            def f(self):
                return 1
        """,
        ["import m", "c = m.C()"],
        """
        REG = []
        def register(cls):
            REG.append(cls)
            return cls
        @register
        class C:
            def f(self):
                return 2
        """,
        "m.REG == [m.C] and c.f() == 2 and type(c) is m.C",
    ),
    # -- names and values -------------------------------------------------------------
    S(
        "from_import_value",
        "LIMIT = 10\n",
        ["from m import LIMIT"],
        "LIMIT = 20\n",
        "LIMIT == 20",
    ),
    S(
        "star_import_new_name",
        "A = 1\n_hidden = 0\n",
        ["from m import *"],
        "A = 2\nB = 3\n_hidden2 = 1\n",
        "globals().get('A') == 2 and globals().get('B') == 3 and '_hidden2' not in globals()",
    ),
    S(
        "deleted_name_disappears",
        "def gone():\n    return 1\nA = 1\n",
        ["import m"],
        "A = 1\n",
        "not hasattr(m, 'gone') and m.A == 1",
    ),
    S(
        "user_reassigned_untouched",
        "LIMIT = 10\n",
        ["import m", "from m import LIMIT", "LIMIT = 99"],
        "LIMIT = 20\n",
        "LIMIT == 99 and m.LIMIT == 20",
    ),
    S(
        "recompute_dependent",
        "X = 10\nY = X * 2\n",
        ["import m", "from m import Y"],
        "X = 20\nY = X * 2\n",
        "m.Y == 40 and Y == 40",
    ),
    S(
        "cache_kept_function_changed",
        "CACHE = {}\ndef get(k):\n    return CACHE.get(k, 'old')\n",
        ["import m", "m.CACHE['a'] = 1"],
        "CACHE = {}\ndef get(k):\n    return CACHE.get(k, 'new')\n",
        "m.CACHE == {'a': 1} and m.get('z') == 'new'",
        note="contract 3: the unchanged CACHE = {} must not run again",
    ),
    S(
        "annotations_only",
        "X: int = 1\nclass C:\n    y: int = 0\n",
        ["import m"],
        "X: float = 1\nclass C:\n    y: str = 0\n",
        "m.__annotations__ == {'X': float} and m.C.__annotations__ == {'y': str} and m.X == 1",
    ),
    # -- several modules ----------------------------------------------------------------
    S(
        "const_used_by_other_module",
        {"cfg.py": "X = 1\n", "b.py": "from cfg import X\ndef get():\n    return X\n"},
        ["import b"],
        {"cfg.py": "X = 2\n"},
        "b.get() == 2",
    ),
    S(
        "dependency_order",
        {"a.py": "import b\nRESULT = b.compute()\n", "b.py": "def compute():\n    return 1\n"},
        ["import a"],
        {
            "a.py": "import b\nRESULT = b.compute2()\n",
            "b.py": "def compute():\n    return 1\ndef compute2():\n    return 5\n",
        },
        "a.RESULT == 5",
        order=["b", "a"],
        note="paths handed over importer first; b must be reloaded before a",
    ),
    S(
        "package_relative_import",
        {
            "pkg/__init__.py": "",
            "pkg/util.py": "K = 1\n",
            "pkg/core.py": "from .util import K\ndef f():\n    return K\n",
        },
        ["from pkg.core import f"],
        {
            "pkg/core.py": "from .util import K\ndef f():\n    return K + 100\n",
            "pkg/util.py": "K = 2\n",
        },
        "f() == 102",
        order=["pkg.util", "pkg.core"],
    ),
    # -- must be refused ------------------------------------------------------------------
    S(
        "closure_freevars_changed",
        """
        def make():
            n = 1
            def inner():
                return n
            return inner
        """,
        ["import m", "g = m.make()"],
        """
        def make():
            n = 1
            k = 10
            def inner():
                return n + k
            return inner
        """,
        "g() == 11 and m.make()() == 11",
        refuse=True,
        kept="g() == 1 and m.make()() == 1",
    ),
    S(
        "closure_freevars_module_level",
        """
        def make():
            n = 1
            def inner():
                return n
            return inner
        P = make()
        """,
        ["import m", "from m import P"],
        """
        def make():
            n = 1
            k = 10
            def inner():
                return n + k
            return inner
        P = make()
        """,
        "P() == 11 and m.P() == 11",
        refuse=True,
        kept="P() == 1 and m.P() == 1 and m.make()() == 1",
    ),
    S(
        "dataclass_field_added",
        "from dataclasses import dataclass\n@dataclass\nclass D:\n    x: int\n",
        ["import m", "d = m.D(2)"],
        "from dataclasses import dataclass\n@dataclass\nclass D:\n    x: int\n    y: int = 0\n",
        "d.y == 0 and m.D(1, 5).y == 5 and d == m.D(2)",
        refuse=True,
        kept="list(m.D.__dataclass_fields__) == ['x'] and d == m.D(2)",
    ),
    S(
        "enum_member_added",
        "from enum import Enum\nclass Color(Enum):\n    RED = 1\n",
        ["import m", "c = m.Color.RED"],
        "from enum import Enum\nclass Color(Enum):\n    RED = 1\n    BLUE = 2\n",
        "m.Color.BLUE.value == 2 and c is m.Color.RED and len(m.Color) == 2",
        refuse=True,
        kept="len(m.Color) == 1 and c is m.Color.RED",
    ),
    S(
        "namedtuple_field_added",
        "from typing import NamedTuple\nclass P(NamedTuple):\n    x: int\n    y: int\n",
        ["import m", "p = m.P(1, 2)"],
        "from typing import NamedTuple\nclass P(NamedTuple):\n    x: int\n    y: int\n    z: int = 0\n",
        "m.P(1, 2, 3).z == 3 and p.z == 0 and isinstance(p, m.P)",
        refuse=True,
        kept="m.P._fields == ('x', 'y') and isinstance(p, m.P)",
    ),
    S(
        "bases_changed",
        """
        class A:
            def who(self):
                return 'A'
        class B:
            def who(self):
                return 'B'
        class C(A):
            pass
        """,
        ["import m", "c = m.C()"],
        """
        class A:
            def who(self):
                return 'A'
        class B:
            def who(self):
                return 'B'
        class C(B):
            pass
        """,
        "c.who() == 'B' and isinstance(c, m.B) and not isinstance(c, m.A)",
        refuse=True,
        kept="c.who() == 'A' and m.C.__bases__ == (m.A,)",
    ),
    S(
        "metaclass_changed",
        "class Meta(type):\n    def tag(cls):\n        return 'meta'\nclass C:\n    pass\n",
        ["import m", "c = m.C()"],
        "class Meta(type):\n    def tag(cls):\n        return 'meta'\nclass C(metaclass=Meta):\n    pass\n",
        "m.C.tag() == 'meta' and type(m.C) is m.Meta and isinstance(c, m.C)",
        refuse=True,
        kept="type(m.C) is type and isinstance(c, m.C)",
    ),
    S(
        "slots_changed",
        "class S:\n    __slots__ = ('x',)\n",
        ["import m", "s = m.S()", "s.x = 1"],
        "class S:\n    __slots__ = ('x', 'y')\n",
        "(setattr(s, 'y', 2) or s.y) == 2 and type(s) is m.S",
        refuse=True,
        kept="m.S.__slots__ == ('x',) and not hasattr(m.S, 'y') and s.x == 1",
    ),
    S(
        "opt_out_module",
        "__freshrepl_reload__ = False\ndef f():\n    return 1\n",
        ["import m"],
        "__freshrepl_reload__ = False\ndef f():\n    return 2\n",
        "m.f() == 2",
        refuse=True,
        kept="m.f() == 1",
        note="only freshrepl knows the opt-out; for the others applying it is right",
    ),
    S(
        "syntax_error_edit",
        "def f():\n    return 1\nA = 1\n",
        ["import m", "from m import f"],
        "def f(:\n    return 2\nA = 2\n",
        None,
        refuse=True,
        kept="m.f() == 1 and f() == 1 and m.A == 1",
    ),
    S(
        "runtime_error_transactional",
        "def f():\n    return 'old'\nX = 1\n",
        ["import m", "from m import f"],
        "def f():\n    return 'new'\nNEW = 1\nX = 1 // 0\n",
        None,
        refuse=True,
        kept="m.f() == 'old' and f() == 'old' and m.X == 1 and not hasattr(m, 'NEW')",
    ),
]

# -- machinery, decorators and closures (issue: honest reloads) -------------------------------

PYD_MODEL = """
from pydantic import BaseModel, computed_field, field_serializer, field_validator

class User(BaseModel):
    name: str
    age: int = 0

    @field_validator('name')
    @classmethod
    def clean(cls, v):
        return v.strip()

    @field_serializer('name')
    def show(self, v):
        return v

    @computed_field
    @property
    def label(self) -> str:
        return 'L:' + self.name

    def greet(self):
        return 'hi ' + self.name
"""

ATTRS_BOX = """
import attrs

def to_int(v):
    return int(v)

@attrs.define
class Box:
    size: int = attrs.field(default=1, converter=to_int)

    @size.validator
    def _check(self, attribute, value):
        if value < 0:
            raise ValueError('negative')

    def area(self):
        return self.size * self.size
"""

SQLA_MODELS = """
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

class Base(DeclarativeBase):
    pass

class Player(Base):
    __tablename__ = 'player'
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))

    def shout(self):
        return self.name.upper()
"""

STRUCT = """
import msgspec

class Point(msgspec.Struct):
    x: int

    def norm(self):
        return abs(self.x)
"""

DECO_LOUD = """
import functools

def loud(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return ('old', fn(*args))
    return wrapper

@loud
def f(x):
    return x

TABLE = {'f': f}
"""

FACTORY = """
def make(n):
    def inner():
        return n + 1
    return inner

def make_pair(n):
    return [lambda: n * 2, lambda: n * 3]

class Holder:
    def __init__(self):
        self.callback = make(1)
        self.more = {'deep': [make(5)]}
"""

MACHINERY: list[Scenario] = [
    S(
        "pydantic_validator_serializer_bodies",
        PYD_MODEL,
        ["import m", "u = m.User(name=' ann ')"],
        PYD_MODEL.replace("return v.strip()", "return v.strip().upper()")
        .replace("        return v\n", "        return v + '!'\n")
        .replace("'L:' + self.name", "'N:' + self.name")
        .replace("'hi '", "'hello '"),
        "m.User(name=' bob ').name == 'BOB' and u.model_dump() == {'name': 'ann!', 'age': 0, 'label': 'N:ann'}"
        " and u.greet() == 'hello ann' and type(u) is m.User",
        needs=("pydantic",),
    ),
    S(
        "pydantic_field_added",
        PYD_MODEL,
        ["import m", "u = m.User(name='ann')"],
        PYD_MODEL.replace("    age: int = 0\n", "    age: int = 0\n    email: str = 'none'\n"),
        "m.User(name='bob', email='b@x').email == 'b@x'",
        refuse=True,
        kept="'email' not in m.User.model_fields and m.User(name='b').age == 0",
        needs=("pydantic",),
    ),
    S(
        "pydantic_model_config",
        PYD_MODEL,
        ["import m"],
        PYD_MODEL.replace("    age: int = 0\n", "    age: int = 0\n    model_config = {'extra': 'forbid'}\n"),
        "m.User.model_config.get('extra') == 'forbid'",
        refuse=True,
        kept="m.User.model_config.get('extra') is None",
        needs=("pydantic",),
    ),
    S(
        "pydantic_field_default",
        PYD_MODEL,
        ["import m"],
        PYD_MODEL.replace("age: int = 0", "age: int = 7"),
        "m.User(name='a').age == 7",
        refuse=True,
        kept="m.User(name='a').age == 0",
        needs=("pydantic",),
    ),
    S(
        "attrs_method_validator_converter_bodies",
        ATTRS_BOX,
        ["import m", "b = m.Box(3)"],
        ATTRS_BOX.replace("self.size * self.size", "self.size * 10")
        .replace("if value < 0:", "if value > 100:")
        .replace("return int(v)", "return int(v) + 1"),
        "b.area() == 30 and m.Box('4').size == 5 and m.Box(-5).size == -4",
        needs=("attrs",),
    ),
    S(
        "attrs_field_default",
        ATTRS_BOX,
        ["import m"],
        ATTRS_BOX.replace("default=1", "default=2"),
        "m.Box().size == 2",
        refuse=True,
        kept="m.Box().size == 1",
        needs=("attrs",),
    ),
    S(
        "dataclass_post_init_and_factory_bodies",
        """
        import dataclasses
        def start():
            return [1]
        @dataclasses.dataclass(slots=True, kw_only=True)
        class D:
            n: int = 0
            items: list = dataclasses.field(default_factory=start)
            def __post_init__(self):
                self.n += 1
        """,
        ["import m", "d = m.D()"],
        """
        import dataclasses
        def start():
            return [2]
        @dataclasses.dataclass(slots=True, kw_only=True)
        class D:
            n: int = 0
            items: list = dataclasses.field(default_factory=start)
            def __post_init__(self):
                self.n += 10
        """,
        "m.D().n == 10 and m.D().items == [2] and d.n == 1 and type(d) is m.D",
    ),
    S(
        "sqlalchemy_method_body",
        SQLA_MODELS,
        ["import m", "p = m.Player(name='ann lee')"],
        SQLA_MODELS.replace("self.name.upper()", "self.name.title()"),
        "p.shout() == 'Ann Lee' and type(p) is m.Player",
        needs=("sqlalchemy",),
    ),
    S(
        "sqlalchemy_column_added",
        SQLA_MODELS,
        ["import m"],
        SQLA_MODELS.replace("    def shout", "    score: Mapped[int] = mapped_column(default=0)\n\n    def shout"),
        "'score' in m.Player.__table__.c",
        refuse=True,
        kept="'score' not in m.Player.__table__.c",
        needs=("sqlalchemy",),
    ),
    S(
        "msgspec_method_body",
        STRUCT,
        ["import m", "p = m.Point(-3)"],
        STRUCT.replace("abs(self.x)", "abs(self.x) * 2"),
        "p.norm() == 6 and type(p) is m.Point",
        needs=("msgspec",),
    ),
    S(
        "msgspec_field_added",
        STRUCT,
        ["import m"],
        STRUCT.replace("    x: int\n", "    x: int\n    y: int = 0\n"),
        "m.Point(1, 2).y == 2",
        refuse=True,
        kept="m.Point.__struct_fields__ == ('x',)",
        needs=("msgspec",),
    ),
    S(
        "typeddict_key_added",
        "import typing\nclass T(typing.TypedDict):\n    a: int\n",
        ["import m"],
        "import typing\nclass T(typing.TypedDict):\n    a: int\n    b: str\n",
        "set(m.T.__annotations__) == {'a', 'b'}",
        refuse=True,
        kept="set(m.T.__annotations__) == {'a'}",
    ),
    S(
        "init_subclass_registry_attribute",
        """
        REGISTRY = {}
        class Plugin:
            def __init_subclass__(cls):
                REGISTRY[cls.key] = cls
        class A(Plugin):
            key = 'a'
        """,
        ["import m"],
        """
        REGISTRY = {}
        class Plugin:
            def __init_subclass__(cls):
                REGISTRY[cls.key] = cls
        class A(Plugin):
            key = 'b'
        """,
        "list(m.REGISTRY) == ['b']",
        refuse=True,
        kept="list(m.REGISTRY) == ['a'] and m.A.key == 'a'",
    ),
    S(
        "decorator_wrapper_body",
        DECO_LOUD,
        ["import m", "from m import f", "kept = {'f': f}"],
        DECO_LOUD.replace("('old', fn(*args))", "('new', fn(*args))"),
        "f(1) == ('new', 1) and kept['f'](2) == ('new', 2) and m.TABLE['f'](3) == ('new', 3)",
    ),
    S(
        "decorator_body_without_closure",
        "def tag(fn):\n    fn.tag = 'old'\n    return fn\n@tag\ndef f():\n    return 1\n",
        ["from m import f"],
        "def tag(fn):\n    fn.tag = 'new'\n    return fn\n@tag\ndef f():\n    return 1\n",
        "f.tag == 'new'",
        refuse=True,
        kept="f.tag == 'old'",
    ),
    S(
        "decorator_argument_set",
        """
        import functools
        def only(allowed):
            def deco(fn):
                @functools.wraps(fn)
                def wrapper(x):
                    return x in allowed and fn(x)
                return wrapper
            return deco
        @only({1, 2})
        def f(x):
            return 'yes'
        """,
        ["from m import f"],
        """
        import functools
        def only(allowed):
            def deco(fn):
                @functools.wraps(fn)
                def wrapper(x):
                    return x in allowed and fn(x)
                return wrapper
            return deco
        @only({3})
        def f(x):
            return 'yes'
        """,
        "f(3) == 'yes' and f(1) is False",
    ),
    S(
        "decorator_registers_again",
        """
        ROUTES = {}
        def route(path):
            def deco(fn):
                ROUTES[path] = fn
                return fn
            return deco
        @route('/a')
        def page():
            return 'page'
        """,
        ["import m"],
        """
        ROUTES = {}
        def route(path):
            def deco(fn):
                ROUTES[path] = fn
                return fn
            return deco
        @route('/b')
        def page():
            return 'page'
        """,
        "list(m.ROUTES) == ['/b']",
        refuse=True,
        kept="list(m.ROUTES) == ['/a']",
    ),
    S(
        "signature_under_registering_decorator",
        """
        import inspect
        SIGS = {}
        def remember(fn):
            SIGS[fn.__name__] = str(inspect.signature(fn))
            return fn
        @remember
        def f(a):
            return a
        """,
        ["import m"],
        """
        import inspect
        SIGS = {}
        def remember(fn):
            SIGS[fn.__name__] = str(inspect.signature(fn))
            return fn
        @remember
        def f(a, b=1):
            return a + b
        """,
        "m.SIGS == {'f': '(a, b=1)'} and m.f(1) == 2",
        refuse=True,
        kept="m.SIGS == {'f': '(a)'} and m.f(1) == 1",
    ),
    S(
        "signature_under_wrapping_decorator",
        """
        import functools, time
        def timed(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                start = time.perf_counter()
                result = fn(*args, **kwargs)
                print(fn.__name__, time.perf_counter() - start)
                return result
            return wrapper
        @timed
        def add(a):
            return a
        """,
        ["from m import add"],
        """
        import functools, time
        def timed(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                start = time.perf_counter()
                result = fn(*args, **kwargs)
                print(fn.__name__, time.perf_counter() - start)
                return result
            return wrapper
        @timed
        def add(a, b=10):
            return a + b
        """,
        "add(1) == 11 and add(1, b=2) == 3",
    ),
    S(
        "closures_in_instances_and_containers",
        FACTORY,
        ["import m", "h = m.Holder()", "pair = m.make_pair(1)", "nested = {'x': [(m.make(2),)]}"],
        FACTORY.replace("return n + 1", "return n + 100").replace("n * 2", "n * 20").replace("n * 3", "n * 30"),
        "h.callback() == 101 and h.more['deep'][0]() == 105 and [g() for g in pair] == [20, 30]"
        " and nested['x'][0][0]() == 102",
    ),
    S(
        "factory_outer_changed_with_live_closures",
        FACTORY,
        ["import m", "h = m.Holder()"],
        FACTORY.replace("def make(n):\n", "def make(n):\n    n = n * 2\n"),
        "h.callback() == 3",
        refuse=True,
        kept="h.callback() == 2 and m.make(1)() == 2",
    ),
]

REGISTERING = """
import functools

HANDLERS = {}

def handler(name):
    def deco(fn):
        HANDLERS[name] = fn
        return fn
    return deco

def mark(fn):
    fn.marked = True
    return fn

class Plugin:
    registry = {}
    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        Plugin.registry[cls.__name__] = cls

class Alpha(Plugin):
    pass

@functools.singledispatch
def show(x):
    return 'object'

@show.register
def _(x: int):
    return 'int'

@handler('a')
def on_a():
    return 'a'

@mark
def kept():
    return 'kept'
"""

# What machinery recorded when it built an object must not outlive the statement that built it.
RECORDS: list[Scenario] = [
    S(
        "init_subclass_registered_class_removed",
        REGISTERING,
        ["import m"],
        REGISTERING.replace("class Alpha(Plugin):\n    pass\n", ""),
        "sorted(m.Plugin.registry) == []",
        refuse=True,
        kept="sorted(m.Plugin.registry) == ['Alpha'] and hasattr(m, 'Alpha')",
    ),
    S(
        "decorator_registered_function_removed",
        REGISTERING,
        ["import m"],
        REGISTERING.replace("@handler('a')\ndef on_a():\n    return 'a'\n", ""),
        "m.HANDLERS == {}",
        refuse=True,
        kept="sorted(m.HANDLERS) == ['a'] and m.on_a() == 'a'",
    ),
    S(
        "singledispatch_implementation_removed",
        REGISTERING,
        ["from m import show"],
        REGISTERING.replace("@show.register\ndef _(x: int):\n    return 'int'\n", ""),
        "show(1) == 'object'",
        refuse=True,
        kept="show(1) == 'int'",
    ),
    S(
        "decorator_removed_from_def",
        REGISTERING,
        ["from m import kept"],
        REGISTERING.replace("@mark\ndef kept", "def kept"),
        "not hasattr(kept, 'marked') and kept() == 'kept'",
    ),
    S(
        "slots_class_method_added",
        "class P:\n    __slots__ = ('x',)\n    def __init__(self, x):\n        self.x = x\n",
        ["from m import P", "p = P(1)"],
        "class P:\n    __slots__ = ('x',)\n    def __init__(self, x):\n        self.x = x\n"
        "    def __repr__(self):\n        return f'P({self.x})'\n",
        "repr(p) == 'P(1)'",
    ),
    S(
        "default_reads_import_deleted_later",
        "import re\n\ndef junk(s, pat=re.compile('#?$').match):\n    return bool(pat(s))\n\ndel re\n",
        ["from m import junk"],
        "import re\n\ndef junk(s, pat=re.compile('#*$').match):\n    return bool(pat(s))\n\ndel re\n",
        "junk('##') and not hasattr(__import__('m'), 're')",
    ),
    S(
        "later_rebinding_kept",
        "X = 1\nY = X * 2\nX = 3\n",
        ["import m"],
        "X = 2\nY = X * 2\nX = 3\n",
        "(m.X, m.Y) == (3, 4)",
    ),
]

SCENARIOS += MACHINERY
SCENARIOS += RECORDS
BY_NAME = {s.name: s for s in SCENARIOS}


# -- inside the worker subprocess ------------------------------------------------------------


def module_name(relpath: str) -> str:
    parts = relpath[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def write_file(root: str, relpath: str, text: str, mtime: float) -> str:
    path = os.path.join(root, relpath)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.utime(path, (mtime, mtime))
    return path


def apply_edit(sc: Scenario, root: str) -> list[str]:
    """Save the edit with a current mtime (the originals are 100 s old)."""
    import importlib

    now = time.time()
    paths = [write_file(root, rel, text, now) for rel, text in sc.after.items()]
    importlib.invalidate_caches()
    return paths


def evaluate(expr: str | None, ns: dict) -> tuple[bool, str]:
    if expr is None:
        return False, "the edit cannot be applied; a failure had to be reported"
    try:
        return bool(eval(expr, ns)), ""
    except Exception as exc:
        return False, f"check raised {type(exc).__name__}: {exc}"


def verdict(sc: Scenario, reported: bool, ns: dict) -> tuple[str, str]:
    """Classify what a runner did; ``reported``: it reported a failure / refusal."""
    if reported:
        ok, why = evaluate(sc.kept, ns)
        if not ok:
            return "WRONG", "failure reported but the edit was half-applied " + (why or "(kept check False)")
        return ("refused" if sc.refuse else "failed"), ""
    ok, why = evaluate(sc.check, ns)
    if ok:
        return "right", ("applied although docs/contract.md says refuse" if sc.refuse else "")
    return "WRONG", why or "check False"


def run_setup(setup: list[str], ns: dict, before_each=None, after_each=None) -> None:
    for source in setup:
        if before_each:
            before_each(source)
        exec(compile(source, "<stdin>", "exec"), ns)
        if after_each:
            after_each()


def run_freshrepl(sc: Scenario, root: str) -> dict:
    sys.path.insert(0, str(REPO / "src"))
    from freshrepl.protocol import FAILED, UNSAFE
    from freshrepl.reload import Reloader

    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    reloader = Reloader(main)
    reloader.install()
    run_setup(sc.setup, main.__dict__, reloader.note_main_input, reloader.take_module_delta)
    paths = apply_edit(sc, root)
    results = reloader.reload(paths, [])
    reported = any(r.status in (UNSAFE, FAILED) for r in results)
    v, why = verdict(sc, reported, main.__dict__)
    report = [
        f"{r.module}: {r.status}"
        + "".join(f" | {x}" for x in (r.detail, r.location, r.error) if x)
        for r in results
    ]
    return {"verdict": v, "why": why, "report": report or ["(no results)"]}


def run_ipython(sc: Scenario, root: str) -> dict:
    from IPython.extensions.autoreload import ModuleReloader

    reloader = ModuleReloader()  # records the mtimes of everything already imported
    reloader.enabled, reloader.check_all, reloader.autoload_obj = True, True, False  # %autoreload 2
    loaded = set(sys.modules)

    def pre_run_cell(_source: str) -> None:
        reloader.check()

    def post_execute() -> None:  # AutoreloadMagics.post_execute_hook
        for name in set(sys.modules) - loaded:
            _, mtime = reloader.filename_and_mtime(sys.modules[name])
            if mtime is not None:
                reloader.modules_mtimes[name] = mtime
        loaded.update(sys.modules)

    ns = {"__name__": "__main__", "__builtins__": builtins}
    run_setup(sc.setup, ns, pre_run_cell, post_execute)
    apply_edit(sc, root)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        reloader.check()  # the pre_run_cell of the next input
    reported = bool(reloader.failed)
    v, why = verdict(sc, reported, ns)
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    report = [f"failed: {', '.join(os.path.basename(p) for p in reloader.failed)}"] if reported else []
    report += [f"stderr: {ln}" for ln in lines[-2:]]
    return {"verdict": v, "why": why, "report": report or ["(silent)"]}


def run_importlib(sc: Scenario, root: str) -> dict:
    import importlib

    ns = {"__name__": "__main__", "__builtins__": builtins}
    run_setup(sc.setup, ns)
    apply_edit(sc, root)
    order = sc.order or [module_name(rel) for rel in sc.after]
    report, reported = [], False
    for name in order:
        if name not in sys.modules:
            continue
        try:
            importlib.reload(sys.modules[name])
            report.append(f"{name}: reloaded")
        except Exception as exc:
            reported = True
            report.append(f"{name}: {type(exc).__name__}: {exc}")
            break
    v, why = verdict(sc, reported, ns)
    return {"verdict": v, "why": why, "report": report}


def worker(runner: str, name: str) -> None:
    sc = BY_NAME[name]
    root = tempfile.mkdtemp(prefix="freshbench-", dir="/tmp")
    sys.dont_write_bytecode = True
    try:
        old = time.time() - 100
        for rel, text in sc.before.items():
            write_file(root, rel, text, old)
        sys.path.insert(0, root)
        func = {"freshrepl": run_freshrepl, "ipython": run_ipython, "importlib": run_importlib}
        try:
            out = func[runner](sc, root)
        except BaseException as exc:
            tb = traceback.format_exc().strip().splitlines()
            out = {"verdict": "error", "why": f"{type(exc).__name__}: {exc}", "report": tb[-4:]}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    sys.stdout.flush()
    print(MARK + json.dumps(out))


# -- the driver ---------------------------------------------------------------------------------


def run_pair(python: str, runner: str, name: str) -> dict:
    cmd = [python, "-B", str(Path(__file__).resolve()), "--worker", runner, name]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return {"verdict": "error", "why": f"timeout after {TIMEOUT:.0f}s", "report": []}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"verdict": "error", "why": f"worker exited {proc.returncode}", "report": tail}


def show_details(sc: Scenario, outcomes: dict[str, dict]) -> None:
    print(f"== {sc.name}  (expected: {'refuse' if sc.refuse else 'apply'})")
    if sc.note:
        print(f"note: {sc.note}")
    for label, files in (("before", sc.before), ("after", sc.after)):
        for rel, text in files.items():
            print(f"--- {label}: {rel}")
            print(textwrap.indent(text.rstrip("\n") or "(empty)", "    "))
    print("--- inputs in __main__:")
    for source in sc.setup:
        print(textwrap.indent(source.rstrip("\n"), "    >>> "))
    print(f"--- check (applied right): {sc.check}")
    if sc.refuse:
        print(f"--- kept (nothing applied): {sc.kept}")
    for runner, out in outcomes.items():
        print(f"[{runner}] {out['verdict']}" + (f"  -- {out['why']}" if out.get("why") else ""))
        for line in out.get("report", []):
            print(f"      {line}")


def missing_libraries(python: str, names: set[str]) -> set[str]:
    """The libraries among ``names`` that ``python`` cannot import."""
    probe = "import importlib.util, sys; print(' '.join(n for n in sys.argv[1:] if not importlib.util.find_spec(n)))"
    proc = subprocess.run([python, "-c", probe, *sorted(names)], capture_output=True, text=True)
    return set(proc.stdout.split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", metavar="NAME", help="run one scenario and show details")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the workers")
    parser.add_argument("--jobs", type=int, default=max(2, os.cpu_count() or 2))
    parser.add_argument("--runners", default=",".join(RUNNERS))
    parser.add_argument("--worker", nargs=2, metavar=("RUNNER", "NAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    runners = [r for r in args.runners.split(",") if r]
    if args.only:
        if args.only not in BY_NAME:
            parser.error(f"unknown scenario {args.only!r}; known: {', '.join(BY_NAME)}")
        scenarios = [BY_NAME[args.only]]
    else:
        scenarios = SCENARIOS
    missing = missing_libraries(args.python, {n for sc in scenarios for n in sc.needs})
    if missing:
        print(f"skipped (not installed for {args.python}: {', '.join(sorted(missing))}):")
        print("  " + ", ".join(sc.name for sc in scenarios if set(sc.needs) & missing))
        scenarios = [sc for sc in scenarios if not set(sc.needs) & missing]

    started = time.monotonic()
    pairs = [(sc.name, r) for sc in scenarios for r in runners]
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = {p: pool.submit(run_pair, args.python, p[1], p[0]) for p in pairs}
        outcomes = {p: f.result() for p, f in futures.items()}
    elapsed = time.monotonic() - started

    if args.only:
        show_details(scenarios[0], {r: outcomes[(scenarios[0].name, r)] for r in runners})
        return 0

    width = max(len(sc.name) for sc in scenarios)
    print(f"{'scenario':<{width}}  {'expect':<7}" + "".join(f"{r:<11}" for r in runners))
    for sc in scenarios:
        row = f"{sc.name:<{width}}  {'refuse' if sc.refuse else 'apply':<7}"
        for r in runners:
            out = outcomes[(sc.name, r)]
            mark = "*" if out["verdict"] == "right" and sc.refuse else ""
            row += f"{out['verdict'] + mark:<11}"
        print(row)
    print("(* = applied an edit docs/contract.md says must be refused, and the result was right)")

    print(f"\nsummary over {len(scenarios)} scenarios ({sum(s.refuse for s in scenarios)} must be refused):")
    kinds = ["right", "refused", "failed", "WRONG", "error"]
    labels = {
        "right": "right",
        "refused": "refused correctly",
        "failed": "failed (should apply)",
        "WRONG": "silently wrong",
        "error": "errors",
    }
    print(f"  {'runner':<10}" + "".join(f"{labels[k]:>23}" for k in kinds))
    for r in runners:
        counts = {k: sum(outcomes[(sc.name, r)]["verdict"] == k for sc in scenarios) for k in kinds}
        print(f"  {r:<10}" + "".join(f"{counts[k]:>23}" for k in kinds))
    for r in runners:
        bad = [
            (sc.name, outcomes[(sc.name, r)])
            for sc in scenarios
            if outcomes[(sc.name, r)]["verdict"] in ("WRONG", "error", "failed")
        ]
        if bad:
            print(f"\n{r}: not right ({len(bad)}):")
            for name, out in bad:
                first = out.get("report") or [""]
                print(f"  {name}: {out['verdict']}: {out.get('why', '')}  [{first[0]}]")
    print(f"\n{len(pairs)} runs, {args.jobs} at a time, in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
