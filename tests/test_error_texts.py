"""Error output is python3's, byte for byte, on every kernel version (issue 19).

A corpus of failing inputs is typed into freshrepl (``--python PY``, so the
kernel runs on PY) and into ``PY -i`` itself, each in a real pty drawn by a
terminal emulator, and what each shows between an input and the next
prompt is compared.  On 3.10 and 3.11 the ``traceback`` module has none of
the "Did you mean" hints that the interpreter's own printing gives: the
kernel must print them all the same.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from term import Term, isolated_env

if sys.platform != "linux":  # pragma: no cover
    pytest.skip("pty tests need Linux", allow_module_level=True)

INTERPRETERS = [
    path for path in (
        "/tmp/venv3.10.13/bin/python",
        "/tmp/venv3.11.7/bin/python",
        "/tmp/venv3.12.1/bin/python",
        "/tmp/venv3.13.0/bin/python",
    ) if os.path.exists(path)
]


@dataclass
class Case:
    name: str
    lines: list[str]  # typed one by one, each followed by Enter
    since: tuple[int, int] = (3, 10)  # the first Python version that has the feature


CORPUS = [
    Case("name-close", ["pritn('x')"]),
    Case("name-local", ["counter = 1", "countr + 1"]),
    Case("attribute-list", ["[].apend(1)"]),
    Case("attribute-numpy", ["import numpy as np", "np.zeros(3).stdd()"]),
    Case("attribute-module", ["import os", "os.getcwdd()"]),
    Case("import-name", ["from os import pathh"]),
    Case("import-module", ["import jsonn"]),
    # Python 3.13's REPL reads on after an error in an input of several lines, until a blank one.
    Case("syntax-multiline", ["x = [1, 2", "3]", ""]),
    Case("syntax-one-line", ["1 +* 2"]),
    Case("syntax-unclosed-string", ["s = 'abc"]),
    Case("indentation", ["if True:", "print(1)", ""]),
    Case("unexpected-indent", ["  x = 1"]),
    Case("nested-call", ["def inner(x):", "    return 1 / x", "",
                         "def outer(x):", "    return inner(x) + 1", "", "outer(0)"]),
    Case("raise-from", ["try:", "    {}['k']", "except KeyError as e:",
                        "    raise ValueError('v') from e", ""]),
    Case("note", ["e = ValueError('bad')", "e.add_note('a note')", "raise e"], since=(3, 11)),
    Case("exception-group", ["raise ExceptionGroup('many', [ValueError(1), TypeError('t')])"],
         since=(3, 11)),
    Case("type-error", ["len(5)"]),
]

_PROMPT_LINE = re.compile(r"^(>>>|\.\.\.)( |$)")


def _version(python: str) -> tuple[int, int]:
    out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), int(out[1])


class _PythonTerm(Term):
    """``python -i`` itself in a pty, with the same emulator as freshrepl's ``Term``."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        super().__init__([], cwd, env, command=command)


def _prompt_lines(text: str) -> int:
    return sum(1 for line in text.split("\n") if _PROMPT_LINE.match(line))


def _waiting_for_input(text: str) -> bool:
    return text.split("\n")[-1].strip() in (">>>", "...")


def _session_outputs(term: Term, cases: list[Case]) -> dict[str, str]:
    """Type every case; what each printed, prompt lines (the echoed input) left out.

    Each line is typed at an empty prompt, then Enter; Ctrl-U first removes
    the indentation freshrepl's editor puts after a ``:`` (python3 has none).
    """
    term.wait_for(_waiting_for_input, timeout=30)
    outputs = {}
    for case in cases:
        start = len(term.text().split("\n")) - 1  # the line of the prompt we type at
        for line in case.lines:
            prompts = _prompt_lines(term.text())
            term.pump()
            if term.screen.cursor.x > len(">>> "):
                term.send("\x15")
            term.send(line + "\r")
            term.wait_for(lambda text, n=prompts: _prompt_lines(text) > n
                          and _waiting_for_input(text), timeout=30)
        shown = term.text().split("\n")[start:-1]
        outputs[case.name] = "\n".join(line for line in shown if not _PROMPT_LINE.match(line))
    return outputs


@pytest.mark.parametrize("python", INTERPRETERS, ids=lambda p: p.split("/")[-3])
def test_errors_look_exactly_as_in_python3(python, home, project):
    version = _version(python)
    cases = [case for case in CORPUS if version >= case.since]
    plain = _PythonTerm([python, "-q", "-i"], project, isolated_env(home, PYTHON_COLORS="0"))
    try:
        expected = _session_outputs(plain, cases)
    finally:
        plain.close()
    # In colour: the emulator's text leaves colours out, and colour must change no character.
    fresh = Term(["-q", "--python", python], project, isolated_env(home))
    try:
        got = _session_outputs(fresh, cases)
    finally:
        fresh.close()
    differences = {name: (expected[name], got[name]) for name in expected
                   if expected[name] != got[name]}
    assert not differences, "\n\n".join(
        f"{name}:\n--- python3 -i\n{want}\n--- freshrepl\n{have}"
        for name, (want, have) in differences.items())
    # The corpus is worth something only if python3 printed the hints being checked.
    if version >= (3, 10):
        assert "Did you mean: 'print'?" in expected["name-close"]
        assert "Did you mean: 'append'?" in expected["attribute-list"]
        assert "Did you mean: 'std'?" in expected["attribute-numpy"]
        assert "^" in expected["syntax-multiline"]
