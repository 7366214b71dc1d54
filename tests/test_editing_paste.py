"""A bracketed paste is one input, run as Python 3.13's REPL runs a paste."""

from __future__ import annotations

import re

import pytest
from term import Term

FUNCTION_WITH_BLANK_LINES = """\
def scale(values):
    doubled = [v * 2 for v in values]

    total = sum(doubled)

    return total
"""

CLASS_WITH_BLANK_LINES = """\
class Counter:
    def __init__(self):
        self.n = 0

    def bump(self):
        self.n += 1

        return self.n
"""


def paste(term: Term, text: str) -> None:
    term.send("\x1b[200~" + text + "\x1b[201~")


def paste_and_wait(term: Term, text: str) -> None:
    """Paste a block that runs quickly; wait for the prompt after it."""
    before = term.prompts()
    paste(term, text)
    term.wait_for(lambda _: term.prompts() > before and term.at_prompt())


@pytest.fixture
def term(spawn) -> Term:
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("1")  # the editor is up: a paste is the editor's, not the early prompt's
    return term


def test_pasted_function_with_blank_lines_runs_whole(term):
    mark = term.mark()
    paste_and_wait(term, FUNCTION_WITH_BLANK_LINES)
    assert "Error" not in term.text()[mark:]
    assert term.run("scale([1, 2, 3])") == "12"


def test_pasted_class_and_calls_run_in_order(term):
    mark = term.mark()
    paste(term, CLASS_WITH_BLANK_LINES + "\nc = Counter()\nprint('first', c.bump())\n"
          "print('second', c.bump())\nc.n * 10\n")
    term.wait_for(re.compile(r"^first 1\nsecond 2\n20\n>>>", re.M), after=mark)
    assert "Error" not in term.text()[mark:]
    assert term.run("c.n") == "2"


def test_pasted_block_that_does_not_compile_runs_nothing(term):
    mark = term.mark()
    paste_and_wait(term, "print('ran')\nx = = 1\n")
    assert "SyntaxError" in term.text()[mark:]
    assert not re.search(r"^ran$", term.text()[mark:], re.M)


def test_ctrl_c_stops_the_rest_of_a_pasted_block(term):
    mark = term.mark()
    paste(term, "print('started')\nimport time; time.sleep(30)\nprint('after')\n")
    term.wait_for(re.compile(r"^started$", re.M), after=mark)
    term.send("\x03")
    term.wait_for("KeyboardInterrupt", after=mark)
    term.wait_idle()
    assert not re.search(r"^after$", term.text()[mark:], re.M)


def test_restart_replays_a_pasted_block_as_a_block(term):
    paste_and_wait(term, FUNCTION_WITH_BLANK_LINES)
    assert term.run("scale([5])") == "10"
    assert "replayed" in term.run(":restart")
    assert term.run("scale([1, 1])") == "4"
