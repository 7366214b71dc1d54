"""The differential checker: a sample of every corpus (hand-written edits, generated stdlib
edits, the project corpora: Flask, Django, FastAPI, click and typer, SQLAlchemy, pydantic,
attrs, numpy, pandas, and what the standard library derives), in a real kernel against a
fresh interpreter; no edit may be WRONG.  And the checker itself must be able to fail:
wrong reloaders are caught.

Edits that are WRONG on today's engine are listed in ``WRONG_TODAY`` and left out of
this sample (shown as skipped, with the reason); the bench still runs and reports them.
When the engine learns one, delete its entry.  The full corpora run with
``python3 bench/bench_differential.py``.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

import pytest
from differential import corpus_stdlib
from differential.case import Case, Layout, case, change, rename_imports
from differential.checker import (
    ERROR,
    NO_RESTART,
    REFUSED,
    RIGHT,
    SHOULD_APPLY,
    WRONG,
    Checker,
)
from differential.corpora import corpora
from differential.kernelside import (
    KernelSide,
    Reload,
    engine_reload,
    half_applied_reload,
    importlib_reload,
    noop_reload,
)

from freshrepl.protocol import FAILED, UNSAFE, ReloadResult

# Case name: what is stale (the checker's reason on today's engine, shortened).
WRONG_TODAY: dict[str, str] = {}

CORPORA = corpora()
PRELOAD = list(dict.fromkeys(name for corpus in CORPORA for name in corpus.preload))


def _known_wrong(name: str) -> str | None:
    """The reason a case is WRONG today; stdlib keys name a function (any constant in it)."""
    if name in WRONG_TODAY:
        return WRONG_TODAY[name]
    return WRONG_TODAY.get(name.split(":", 1)[0]) if name.startswith("stdlib.") else None


def _params() -> list:
    params = []
    for corpus in CORPORA:
        for case_ in corpus.sample():
            marks = []
            reason = _known_wrong(case_.name)
            missing = case_.missing_library()
            if reason is not None:
                marks.append(pytest.mark.skip(reason=f"WRONG today (the bench runs it): {reason}"))
            elif missing is not None:
                marks.append(pytest.mark.skip(reason=f"{missing} is not installed"))
            params.append(pytest.param(case_, id=f"{corpus.name}:{case_.name}", marks=marks))
    return params


@pytest.fixture(scope="module")
def checker() -> Iterator[Checker]:
    with Checker(preload=PRELOAD, probe_seconds=3.0) as shared:
        yield shared


@pytest.fixture
def reloader(checker: Checker) -> Iterator[Checker]:
    """The shared checker; a test may swap its reloader, which is put back afterwards."""
    yield checker
    checker.reload = engine_reload


@pytest.mark.parametrize("case_", _params())
def test_edit_is_never_wrong(checker: Checker, case_: Case) -> None:
    """Right or refused; and a refusal is neither of an edit the engine must apply (a body)
    nor, where the live process cannot take the edit, one without the restart question."""
    verdict = checker.check(case_)
    assert verdict.verdict in (RIGHT, REFUSED), verdict.line()
    assert SHOULD_APPLY not in verdict.reason and NO_RESTART not in verdict.reason, verdict.line()


# -- the checker itself --------------------------------------------------------------

FUNCTION = case(
    "self.function_body",
    "def f(x):\n    return x + 1\n",
    change("x + 1", "x + 2"),
    "import m\nfrom m import f\nkept = [m.f]\n",
    ["f(1)", "kept[0](1)", "m.f(1)"],
)
BROKEN = case(
    "self.syntax_error",
    "def f(x):\n    return x + 1\n",
    change("x + 1", "x +"),
    "import m\nfrom m import f\n",
    ["f(1)"],
)


def test_the_engine_gets_the_plain_cases_right(reloader: Checker) -> None:
    assert reloader.check(FUNCTION).verdict == RIGHT
    refused = reloader.check(BROKEN)
    assert refused.verdict == REFUSED and "SyntaxError" in refused.reason


def test_importlib_reload_is_caught(reloader: Checker) -> None:
    """importlib.reload re-runs the module, but `from m import f` keeps the old f."""
    reloader.reload = importlib_reload
    verdict = reloader.check(FUNCTION)
    assert verdict.verdict == WRONG
    assert "`f(1)`: kernel = 2 vs fresh = 3" in verdict.reason


def test_claiming_a_reload_that_did_nothing_is_caught(reloader: Checker) -> None:
    reloader.reload = noop_reload
    assert reloader.check(FUNCTION).verdict == WRONG
    verdict = reloader.check(BROKEN)
    assert verdict.verdict == WRONG and "fresh import of the edit fails" in verdict.reason


def test_a_refusal_that_changed_the_module_is_caught(reloader: Checker) -> None:
    reloader.reload = half_applied_reload
    verdict = reloader.check(FUNCTION)
    assert verdict.verdict == WRONG and "refused (unsafe m" in verdict.reason
    assert "yet changed m__" in verdict.reason


def test_the_code_print_catches_a_stale_function(reloader: Checker) -> None:
    """The generated corpus's oracle: a constant that did not reach the old reference."""
    reloader.reload = noop_reload
    edit = next(c for c in corpus_stdlib.module_cases("colorsys") if "rgb_to_hls" in c.name)
    verdict = reloader.check(edit)
    assert verdict.verdict == WRONG and "__dcheck__.code(target)" in verdict.reason


def _refusing(status: str) -> Reload:
    """A reloader that changes nothing and reports ``status`` for every changed module."""
    def refuse(kernel: KernelSide, layout: Layout) -> list[ReloadResult]:
        return [ReloadResult(name, "", status, detail="refused") for name in layout.changed_modules()]
    return refuse


def test_a_refusal_that_should_offer_the_restart_is_marked_when_it_does_not(
        reloader: Checker) -> None:
    """A framework forbids the edit in the live process: the refusal must lead to the restart."""
    forbidden = case("self.restart", "X = 1\n", change("X = 1", "X = 2"), "import m\n", ["m.X"],
                     restart=True)
    reloader.reload = _refusing(FAILED)
    verdict = reloader.check(forbidden)
    assert verdict.verdict == REFUSED and verdict.reason.endswith("[no restart offered]")
    reloader.reload = _refusing(UNSAFE)
    verdict = reloader.check(forbidden)
    assert verdict.verdict == REFUSED and "restart" not in verdict.reason


def test_a_probe_that_differs_between_processes_is_a_broken_case(reloader: Checker) -> None:
    flaky = case("self.flaky", "X = 1\n", change("X = 1", "X = 2"), "import m\nimport os\n",
                 ["os.getpid()"])
    verdict = reloader.check(flaky)
    assert verdict.verdict == ERROR and "case broken: before any edit" in verdict.reason


# -- the pieces ------------------------------------------------------------------------


def test_imports_of_case_modules_are_renamed_in_place() -> None:
    source = "import m, os\nfrom m import (\n    f,\n    g,\n)\nx = m.f\n"
    renamed = rename_imports(source, {"m": "m__c1_x"})
    assert renamed.splitlines() == [
        "import m__c1_x as m, os",
        "from m__c1_x import f, g",
        "",
        "",
        "",
        "x = m.f",
    ]


def test_edit_sites_leave_out_docstrings_fstrings_and_annotations() -> None:
    source = textwrap.dedent('''
        def f(a: int = 3) -> "str":
            """doc"""
            "bare string"
            return f"{a}!" + "x" * 2
    ''')
    sites = corpus_stdlib.edit_sites(ast.parse(source))
    assert [s.node.value for s in sites] == [3, "x", 2]


def test_a_case_needing_a_missing_library_names_it() -> None:
    """Such a case is skipped, saying which library (its own modules do not count)."""
    needs = case("self.missing", {"m.py": "import helper\nimport nosuchlib_xyz.sub\n",
                                  "helper.py": "X = 1\n"},
                 change("X = 1", "X = 2", file="helper.py"), "import m\nimport flask\n", ["m.X"])
    assert needs.missing_library() == "nosuchlib_xyz"
    flask_app = next(c for corpus in CORPORA if corpus.name == "flask" for c in corpus.cases)
    assert flask_app.missing_library() is None  # its app imports its own views module


def test_case_names_are_unique_across_corpora() -> None:
    """A name says which case a WRONG_TODAY entry or a bench line means."""
    names = [c.name for corpus in corpora(stdlib_every=1) for c in corpus.cases]
    assert len(names) == len(set(names))
