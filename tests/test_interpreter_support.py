"""The reload engine probes the interpreter and refuses out loud on one it does not understand."""

from __future__ import annotations

import dis
import sys

import pytest
from reload_helpers import Workspace

from freshrepl.protocol import RELOADED, UNSAFE
from freshrepl.reload import interpreter, records


@pytest.fixture(autouse=True)
def probe_afresh():
    interpreter.forget()
    yield
    interpreter.forget()


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


def test_every_probe_passes_on_the_interpreters_we_test():
    assert interpreter.unsupported_reason() is None, sys.version


def _renamed(old: str, new: str):
    """dis.get_instructions as an interpreter would give it that renamed opcode ``old``."""
    real = dis.get_instructions

    def get_instructions(code, **kwargs):
        for ins in real(code, **kwargs):
            yield ins._replace(opname=new) if ins.opname == old else ins
    return get_instructions


@pytest.mark.parametrize(("opcode", "what"), [
    ("STORE_GLOBAL", "a global written"),
    ("STORE_SUBSCR", "an item written"),
    ("IMPORT_NAME", "an import"),
])
def test_byte_code_the_engine_cannot_read_is_named(monkeypatch, opcode, what):
    monkeypatch.setattr(records.dis, "get_instructions", _renamed(opcode, opcode + "_V2"))
    reason = interpreter.unsupported_reason()
    assert reason is not None
    assert what in reason
    assert f"this Python ({sys.version.split()[0]})" in reason
    assert ":restart picks up the change" in reason


def test_a_probe_that_raises_counts_as_not_understood(monkeypatch):
    def broken() -> None:
        raise AttributeError("'code' object has no attribute 'co_consts'")
    monkeypatch.setattr(interpreter, "PROBES", (broken,))
    reason = interpreter.unsupported_reason()
    assert reason is not None and "AttributeError" in reason


def test_on_an_interpreter_not_understood_every_reload_is_refused_and_nothing_changes(
        ws, monkeypatch):
    ws.write("calc.py", "def f():\n    return 1\n")
    calc = ws.load("calc")
    monkeypatch.setattr(interpreter, "PROBES", (lambda: "a probe said no",))
    ws.write("calc.py", "def f():\n    return 2\n")
    result = ws.reload_one("calc")
    assert result.status == UNSAFE, result
    assert "a probe said no" in result.detail and "calc" in result.detail
    assert calc.f() == 1


def test_on_a_understood_interpreter_the_same_edit_reloads(ws):
    ws.write("calc.py", "def f():\n    return 1\n")
    calc = ws.load("calc")
    ws.write("calc.py", "def f():\n    return 2\n")
    assert ws.reload_one("calc").status == RELOADED
    assert calc.f() == 2
