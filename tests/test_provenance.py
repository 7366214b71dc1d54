"""Unit tests of kernel/provenance.py (what an input ran, bound and read) and kernel/stale.py
(which session values code changed since computed)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from reload_helpers import Workspace

from freshrepl.kernel.provenance import (
    MonitoringRecorder,
    Provenance,
    changed_names,
    loads_and_stores,
    monitoring_available,
)
from freshrepl.kernel.stale import StaleLedger

needs_monitoring = pytest.mark.skipif(not monitoring_available(), reason="no sys.monitoring")
METHODS = [pytest.param(True, marks=needs_monitoring, id="monitoring"),
           pytest.param(False, id="static")]

STATS = """\
LIMIT = 10

def helper(x):
    return x + 1

def describe(x):
    return helper(x) * 2

def capped(x):
    return min(x, LIMIT)

def other(x):
    return -x

def timed(fn):
    def wrapper(*args):
        return fn(*args)
    return wrapper

@timed
def wrapped(x):
    return x * 3

@timed
def wrapped_too(x):
    return x * 4

inc = lambda x: x + 1

class Stats:
    SCALE = 1

    def __init__(self, values):
        self.values = values

    def total(self):
        return sum(self.values)

    def scaled(self):
        return self.total() * self.SCALE

    def mean(self):
        return self.total() / len(self.values)
"""


class Session:
    """Inputs run as the kernel runs them, each traced into a ledger."""

    def __init__(self, workspace: Workspace, monitoring: bool) -> None:
        self.workspace = workspace
        self.namespace = workspace.main.__dict__
        self.provenance = Provenance(use_monitoring=monitoring)
        self.ledger = StaleLedger(self.namespace, self.provenance)
        self.position = 0

    def run(self, source: str, position: int | None = None) -> list[str]:
        """Run an input; with ``position``, as :rerun runs that input of the record again."""
        source = textwrap.dedent(source)
        rerun = position
        if position is None:
            self.position += 1
            position = self.position
        self.ledger.begin(rerun)
        code = compile(source, "<stdin>", "exec")
        self.provenance.arm(code)  # as the kernel's console does before running an input
        ok = True
        try:
            exec(code, self.namespace)
        except Exception:
            ok = False
        kept = self.ledger.end(position, source, [code], ok)
        self.workspace.reloader.note_main_input(source)  # as the kernel: from-imports followed
        return kept

    def trace(self, source: str):
        """The InputTrace of one input (not noted in the ledger)."""
        self.provenance.begin(self.namespace)
        code = compile(textwrap.dedent(source), "<stdin>", "exec")
        self.provenance.arm(code)
        exec(code, self.namespace)
        return self.provenance.end(self.namespace, [code], True)

    def edit(self, old: str, new: str) -> list[str]:
        path = self.workspace.root / "stats.py"
        path.write_text(path.read_text().replace(old, new))
        (result,) = self.reload()
        return result.stale

    def reload(self, *deep: str) -> list:
        self.ledger.before_reload()
        results = self.workspace.reload(None, deep)
        self.ledger.after_reload(results)
        return results

    def stale(self) -> dict[str, tuple[int, list[str]]]:
        return {v.name: (v.number, v.because) for v in self.ledger.report().values}

    def close(self) -> None:
        self.provenance.close()


@pytest.fixture(params=METHODS)
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    workspace = Workspace(tmp_path)
    workspace.write("stats.py", STATS)
    session = Session(workspace, request.param)  # first: as in the kernel, before any import
    workspace.load("stats")
    session.run("import stats\nfrom stats import *")
    yield session
    session.close()
    workspace.close()


def ran(trace) -> set[str]:
    return {qualname for _, qualname in trace.ran}


def test_functions_run_directly_and_indirectly_are_recorded(session):
    trace = session.trace("x = describe(1)")
    assert {"describe", "helper"} <= ran(trace)
    assert "other" not in ran(trace)
    assert all(path.endswith("stats.py") for path, _ in trace.ran)


def test_methods_reached_through_an_instance(session):
    session.run("s = Stats([1, 2, 3])")
    trace = session.trace("m = s.mean()")
    assert {"Stats.mean", "Stats.total"} <= ran(trace)


def test_a_decorated_function_is_reached_through_its_wrapper(session):
    assert "wrapped" in ran(session.trace("w = wrapped(2)"))


@needs_monitoring
def test_monitoring_records_what_ran_not_what_was_named(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.write("stats.py", STATS)
    session = Session(workspace, True)
    workspace.load("stats")
    try:
        session.run("from stats import describe, other")
        trace = session.trace("x = describe(1) if False else other(1)")
        assert ran(trace) == {"other"}
        assert session.provenance.exact
    finally:
        session.close()
        workspace.close()


@needs_monitoring
def test_monitoring_costs_one_callback_per_user_function_per_input_and_none_elsewhere(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.write("loop.py", "def f(x):\n    return x\n")
    provenance = Provenance(use_monitoring=True)
    workspace.load("loop")
    recorder = provenance.recorder
    assert isinstance(recorder, MonitoringRecorder)
    calls = []
    monitoring = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
    counting = monitoring.register_callback(recorder.tool, monitoring.events.PY_START, None)

    def count(code, offset):
        calls.append(code.co_filename)
        return counting(code, offset)

    monitoring.register_callback(recorder.tool, monitoring.events.PY_START, count)
    namespace = workspace.main.__dict__
    exec("from loop import f", namespace)
    try:
        for _ in range(2):  # each input arms the events again
            calls.clear()
            provenance.begin(namespace)
            code = compile("for i in range(10000): f(i)", "<stdin>", "exec")
            exec(code, namespace)
            trace = provenance.end(namespace, [code], True)
            assert calls == [str(tmp_path / "loop.py")]  # one call for f, none for the rest
            assert ran(trace) == {"f"}
        calls.clear()
        provenance.begin(namespace)
        exec(compile("import json, textwrap; json.dumps([1]); textwrap.fill('a b')", "<stdin>",
                     "exec"), namespace)
        provenance.end(namespace, [], True)
        assert calls == []  # code outside the user's modules is never instrumented
    finally:
        provenance.close()
        workspace.close()
    assert monitoring.get_tool(recorder.tool) is None  # the tool id is given back


def test_names_bound_by_identity_stores_and_global_in_a_function(session):
    session.run("a = [1]; b = 2; c = 3")
    session.run("def setter():\n    global g\n    g = describe(1)\n")
    trace = session.trace("a = [1]\nsetter()\ndel c\nb = 2")
    assert {"a", "g", "c", "b"} <= trace.binds  # b: the same small int, stored again
    assert "describe" not in trace.binds


def test_a_failed_input_binds_only_what_changed(session):
    session.run("x = describe(1)")
    session.edit("return helper(x) * 2", "return helper(x) * 3")
    session.run("y = 5\nx = describe(1) / 0")  # fails before storing x
    assert "x" in session.stale()
    assert "y" not in session.stale()


def test_reads_are_loads_of_the_input_and_of_prompt_functions_it_calls(session):
    session.run("summary = describe(1); unused_value = 5")
    reads, stores = loads_and_stores(compile("r = [summary + i for i in range(2)]", "<stdin>", "exec"))
    assert "summary" in reads and "r" in stores
    session.run("def report():\n    return summary * 10\n")
    trace = session.trace("r = report()")
    assert "summary" in trace.reads  # read when report() ran, not when it was defined
    assert "describe" not in trace.reads  # code is never a stale value


def test_derived_values_are_stale_and_unrelated_ones_are_not(session):
    session.run("summary = describe(1)")
    session.run("report = summary * 10")
    session.run("negative = other(4)")
    session.run("plain = 7")
    assert session.edit("return x + 1", "return x + 5") == ["summary", "report"]
    assert session.stale() == {"summary": (2, ["helper"]), "report": (3, ["helper"])}
    plan = [item.number for item in session.ledger.report().inputs]
    assert plan == [2, 3]


def test_rebound_names_are_fresh_and_reruns_clear_the_marks(session):
    session.run("summary = describe(1)")
    session.run("report = summary * 10")
    session.run("kept = describe(2)")
    session.edit("* 2", "* 4")
    session.run("kept = 0")
    assert set(session.stale()) == {"summary", "report"}
    session.run("summary = describe(1)", position=2)  # :rerun, in record order
    session.run("report = summary * 10", position=3)
    assert session.stale() == {}
    assert session.namespace["report"] == (1 + 1) * 4 * 10


def test_a_value_read_from_a_stale_one_after_the_edit_is_stale(session):
    session.run("summary = describe(1)")
    session.edit("* 2", "* 4")
    session.run("later = summary + 1")
    assert session.stale()["later"] == (3, ["describe"])


def test_a_changed_module_value_read_by_a_function_that_ran(session):
    session.run("c = capped(50)")
    session.run("d = describe(1)")
    assert session.edit("LIMIT = 10", "LIMIT = 20") == ["c"]


def test_a_method_edit(session):
    session.run("s = Stats([1, 2, 3])")
    session.run("t = s.total()")
    session.run("n = len(s.values)")
    assert session.edit("return sum(self.values)", "return sum(self.values) * 2") == ["t"]


def test_code_values_are_never_stale(session):
    session.run("f = stats.describe")
    session.run("v = describe(1)")
    assert session.edit("* 2", "* 3") == ["v"]



def test_changed_names_in_order_and_after_deletions():
    one, two = object(), object()
    before = {"a": one, "b": two, "c": 3000}
    assert changed_names(before, {"a": one, "b": object(), "c": 3000, "d": 1}) == {"b", "d"}
    assert changed_names(before, {"a": one, "c": 3000, "b": two}) == set()  # moved, same value
    assert changed_names(before, {"a": one, "c": 3000, "b": one}) == {"b"}
    assert changed_names(before, {"c": 3000, "a": two}) == {"a", "b"}
    assert changed_names(before, dict(before)) == set()


def test_a_changed_class_attribute_read_by_a_method_that_ran(session):
    session.run("s = Stats([1, 2])")
    session.run("a = s.scaled()")
    session.run("b = s.total()")
    assert session.edit("SCALE = 1", "SCALE = 5") == ["a"]
    assert session.stale()["a"] == (3, ["Stats.SCALE"])


def test_a_changed_lambda(session):
    session.run("a = inc(1)")
    session.run("b = other(1)")
    assert session.edit("inc = lambda x: x + 1", "inc = lambda x: x + 2") == ["a"]


def test_an_edit_under_a_shared_decorator_names_only_its_own_values(session):
    session.run("a = wrapped(1)")
    session.run("b = wrapped_too(1)")
    assert session.edit("return x * 3", "return x * 30") == ["a"]


def test_a_method_inherited_by_a_class_typed_at_the_prompt(session):
    session.run("class Child(Stats):\n    pass\n")
    assert "Stats.total" in ran(session.trace("r = Child([1, 2]).total()"))


@pytest.mark.parametrize("monitoring", METHODS)
def test_a_value_computed_at_import_time(tmp_path, monitoring):
    workspace = Workspace(tmp_path)
    workspace.write("stats.py", STATS)
    workspace.write("tables.py", "from stats import describe\nTABLE = [describe(1)]\n"
                                 "def unused():\n    return other(1)\n")
    session = Session(workspace, monitoring)
    try:
        session.run("from tables import TABLE")  # the import ran describe
        assert session.edit("* 2", "* 4") == ["TABLE"]
        # Running the import again takes the module's unchanged value: still stale.
        session.run("from tables import TABLE", position=1)
        assert "TABLE" in session.stale()
        # A deep reload computes it again and rebinds the name: fresh.
        session.reload("tables")
        assert session.namespace["TABLE"] == [8]
        assert session.stale() == {}
    finally:
        session.close()
        workspace.close()


def test_a_name_the_reload_rebinds_is_fresh(session):
    session.run("from stats import LIMIT")
    session.run("c = capped(50)")
    assert session.edit("LIMIT = 10", "LIMIT = 20") == ["c"]
    assert session.namespace["LIMIT"] == 20
    assert set(session.stale()) == {"c"}


def test_a_rerun_leaves_names_later_inputs_made_as_they_made_them(session):
    session.run("summary = describe(1); n = 0; gone = 1")
    session.run("n = 10")
    session.run("del gone")
    session.run("twice = summary * 2")
    session.edit("* 2", "* 4")
    assert session.run("summary = describe(1); n = 0; gone = 1", position=2) == ["gone", "n"]
    assert session.namespace["n"] == 10 and "gone" not in session.namespace
    assert session.run("twice = summary * 2", position=5) == []
    assert session.namespace["twice"] == 16
    assert session.stale() == {}


def test_functions_a_reload_adds_or_gives_new_code_are_recorded(session):
    path = session.workspace.root / "stats.py"
    path.write_text(path.read_text() + "\ndef added(x):\n    return helper(x)\n"
                    "\ndef factory():\n    def made(x):\n        return x\n    return made\n")
    session.reload()
    session.run("from stats import added, factory")
    session.run("a = added(1)")
    session.run("m = factory()(2)")
    assert session.edit("return x + 1", "return x + 3") == ["a"]
    session.run("b = added(1)")  # runs helper's new code, armed after the reload
    assert session.edit("return x + 3", "return x + 4") == ["a", "b"]
    assert session.edit("        return x\n", "        return x * 5\n") == ["m"]


def test_the_functions_a_module_only_defines_did_not_run_at_its_import(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.write("stats.py", STATS)
    workspace.write("tables.py", "from stats import other\nTABLE = [1]\n"
                                 "def later():\n    return other(1)\n")
    session = Session(workspace, False)
    try:
        session.run("from tables import TABLE")
        assert session.edit("return -x", "return -x - 1") == []
    finally:
        session.close()
        workspace.close()
