"""The rehearsal after an idle checkpoint's fork (kernel/rehearsal.py) touches nothing of the user's."""

from __future__ import annotations

import sys

import pytest

from freshrepl.compiler import AwaitCompiler
from freshrepl.kernel import rehearsal


def test_the_rehearsal_leaves_the_compiler_and_the_session_alone():
    compiler = AwaitCompiler()
    flags = compiler.compiler.flags
    main = dict(vars(sys.modules["__main__"]))
    modules = set(sys.modules)
    rehearsal.rehearse(compiler)
    assert compiler.compiler.flags == flags, "no __future__ flag remembered"
    assert dict(vars(sys.modules["__main__"])) == main
    assert set(sys.modules) == modules, "nothing imported on the way"


def test_no_practice_code_runs_where_a_tracer_would_see_it(monkeypatch):
    monkeypatch.setattr(rehearsal, "_PRACTICE", "raise RuntimeError('the practice ran')\n")
    with pytest.raises(RuntimeError, match="practice ran"):  # the control: it runs unwatched
        rehearsal.rehearse(AwaitCompiler())
    sys.settrace(lambda frame, event, arg: None)
    try:
        rehearsal.rehearse(AwaitCompiler())
    finally:
        sys.settrace(None)
    sys.setprofile(lambda frame, event, arg: None)
    try:
        rehearsal.rehearse(AwaitCompiler())
    finally:
        sys.setprofile(None)
