"""Reloads of decorators and closure factories: the wrappers and closures made before the
edit run the new code wherever they are kept, or the edit is refused out loud."""

from __future__ import annotations

import pytest
from reload_helpers import Workspace

from freshrepl.protocol import RELOADED, UNSAFE


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


DECO = """\
import functools

def loud(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return ("old", fn(*args))
    return wrapper

@loud
def f(x):
    return x

@loud
def g(x):
    return -x

TABLE = {"f": f}
"""

USER = """\
from deco import f, loud

@loud
def h(x):
    return x * 10
"""


def test_decorator_inner_wrapper_edit_reaches_every_decorated_function(ws):
    ws.write("deco.py", DECO)
    ws.write("user.py", USER)
    deco, user = ws.load("deco"), ws.load("user")
    ws.run_main("import deco\nfrom deco import f, g\nkept = {'g': g}\n@deco.loud\ndef at_prompt(x):\n    return x + 1\n")
    ws.write("deco.py", DECO.replace('("old", fn(*args))', '("new", fn(*args))'))
    result = ws.reload_one("deco")
    assert result.status == RELOADED, result
    main = ws.main.__dict__
    assert main["f"](1) == ("new", 1) and main["kept"]["g"](1) == ("new", -1)
    assert deco.TABLE["f"](2) == ("new", 2)
    assert user.h(1) == ("new", 10) and user.f is deco.f
    assert main["at_prompt"](1) == ("new", 2)


def test_decorator_outer_body_edit_with_earlier_wrappers_is_refused(ws):
    ws.write("deco2.py", DECO)
    m = ws.load("deco2")
    f = m.f
    ws.write(
        "deco2.py",
        DECO.replace("    @functools.wraps(fn)\n", "    fn = functools.lru_cache(fn)\n    @functools.wraps(fn)\n"),
    )
    result = ws.reload_one("deco2")
    assert result.status == UNSAFE and "loud" in result.detail, result
    assert f(1) == ("old", 1)


def test_decorator_without_closure_body_edit_is_refused(ws):
    src = "def tag(fn):\n    fn.tag = 'old'\n    return fn\n@tag\ndef f():\n    return 1\n"
    ws.write("tagm.py", src)
    m = ws.load("tagm")
    ws.write("tagm.py", src.replace("'old'", "'new'"))
    result = ws.reload_one("tagm")
    assert result.status == UNSAFE and "tag" in result.detail, result
    assert m.f.tag == "old"


def test_decorator_argument_edit_follows_into_non_simple_values(ws):
    src = """\
    import functools
    def check(allowed):
        def deco(fn):
            @functools.wraps(fn)
            def wrapper(x):
                return x in allowed and fn(x)
            return wrapper
        return deco
    @check({1, 2})
    def f(x):
        return "yes"
    """
    ws.write("argm.py", src)
    m = ws.load("argm")
    ws.run_main("from argm import f")
    ws.write("argm.py", src.replace("{1, 2}", "{3}"))
    result = ws.reload_one("argm")
    assert result.status == RELOADED, result
    assert ws.main.f(3) == "yes" and ws.main.f(1) is False and m.f is ws.main.f


def test_decorator_argument_edit_that_registers_again_is_refused(ws):
    src = """\
    ROUTES = {}
    def route(path):
        def deco(fn):
            ROUTES[path] = fn
            return fn
        return deco
    @route("/a")
    def page():
        return "page"
    """
    ws.write("routes.py", src)
    m = ws.load("routes")
    ws.write("routes.py", src.replace('"/a"', '"/b"'))
    result = ws.reload_one("routes")
    assert result.status == UNSAFE and "page" in result.detail, result
    assert list(m.ROUTES) == ["/a"]


FACTORY = """\
def make(n):
    def inner():
        return n + 1
    return inner

def make_many(n):
    return [lambda: n * 2, lambda: n * 3]

class Holder:
    def __init__(self):
        self.callback = make(1)
"""


def test_closures_kept_anywhere_get_the_new_body(ws):
    ws.write("fac.py", FACTORY)
    m = ws.load("fac")
    holder = m.Holder()  # instance attribute
    nested = {"deep": [(m.make(2),)]}  # nested container, held only by this test
    lambdas = m.make_many(1)
    callbacks = []
    import atexit  # a library's callback list is as good as any place

    atexit.register(nested["deep"][0][0])
    callbacks.append(m.make(3))
    ws.write(
        "fac.py",
        FACTORY.replace("return n + 1", "return n + 100")
        .replace("n * 2", "n * 20")
        .replace("n * 3", "n * 30"),
    )
    result = ws.reload_one("fac")
    atexit.unregister(nested["deep"][0][0])
    assert result.status == RELOADED, result
    assert holder.callback() == 101
    assert nested["deep"][0][0]() == 102 and callbacks[0]() == 103
    assert [f() for f in lambdas] == [20, 30]
    assert m.make(4)() == 104


def test_factory_outer_edit_with_live_closures_is_refused_and_without_is_applied(ws):
    ws.write("fac2.py", FACTORY)
    m = ws.load("fac2")
    holder = m.Holder()
    new = FACTORY.replace("def make(n):\n", "def make(n):\n    n = n * 2\n")
    ws.write("fac2.py", new)
    result = ws.reload_one("fac2")
    assert result.status == UNSAFE and "make" in result.detail, result
    assert holder.callback() == 2
    del holder
    import gc

    gc.collect()
    result = ws.reload_one("fac2")
    assert result.status == RELOADED, result
    assert m.make(1)() == 3


def test_closure_free_variables_change_with_live_closure_is_refused(ws):
    ws.write("fac3.py", FACTORY)
    m = ws.load("fac3")
    h = m.Holder()
    ws.write("fac3.py", FACTORY.replace("return n + 1", "return n + k").replace("def make(n):", "def make(n, k=1):"))
    result = ws.reload_one("fac3")
    assert result.status == UNSAFE and "inner" in result.detail, result
    assert h.callback() == 2


def test_plain_function_edit_does_not_walk_the_heap(ws, monkeypatch):
    import gc

    ws.write("plainf.py", "def f():\n    return 1\n")
    m = ws.load("plainf")

    def refuse(*objs):
        raise AssertionError("heap walked for a plain edit")

    monkeypatch.setattr(gc, "get_referrers", refuse)
    ws.write("plainf.py", "def f():\n    return 2\n")
    assert ws.reload_one("plainf").status == RELOADED and m.f() == 2


def test_closures_made_before_lines_moved_still_follow_a_later_edit(ws):
    ws.write("facm.py", FACTORY)
    m = ws.load("facm")
    holder = m.Holder()
    ws.write("facm.py", "import os\n\n\n" + FACTORY)  # only positions change
    assert ws.reload_one("facm").status == RELOADED
    ws.write("facm.py", "import os\n\n\n" + FACTORY.replace("return n + 1", "return n + 7"))
    result = ws.reload_one("facm")
    assert result.status == RELOADED, result
    assert holder.callback() == 8


def test_refused_closure_edit_leaves_closures_and_factory_as_they_were(ws):
    ws.write("facr.py", FACTORY)
    m = ws.load("facr")
    holder, code = m.Holder(), m.make.__code__
    new = FACTORY.replace("return n + 1", "return n + 5").replace("def make_many(n):", "def make_many(n, k=0):")
    new = new.replace("lambda: n * 2", "lambda: n * 2 + k")
    lambdas = m.make_many(1)
    ws.write("facr.py", new)
    result = ws.reload_one("facr")
    assert result.status == UNSAFE and "free variables" in result.detail, result
    assert holder.callback() == 2 and m.make.__code__ is code and lambdas[0]() == 2


def test_a_refused_edit_keeps_closures_findable_for_the_next_one(ws):
    ws.write("facl.py", FACTORY)
    m = ws.load("facl")
    holder = m.Holder()
    ws.write("facl.py", "\n" + FACTORY)  # positions only
    assert ws.reload_one("facl").status == RELOADED
    ws.write("facl.py", "\n" + FACTORY.replace("return n + 1", "return n + k").replace("def make(n):", "def make(n, k=1):"))
    assert ws.reload_one("facl").status == UNSAFE
    ws.write("facl.py", "\n" + FACTORY.replace("return n + 1", "return n + 9"))
    assert ws.reload_one("facl").status == RELOADED
    assert holder.callback() == 10
