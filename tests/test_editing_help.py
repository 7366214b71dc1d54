"""Signature help on the toolbar, F1 and :doc, end to end.

The live kernel answers them (``KernelClient.signature`` and ``.doc``); the
toolbar is filled in the background, so typing never waits for it.
"""

from __future__ import annotations

import re

import pytest
from term import Term

from freshrepl.shell.kernel_help import callee_at, name_at

GREET = ['def greet(name, punctuation="!"):', '"""Say hello.', "", *(f"Line {n} of the docs." for n in range(60)),
         '"""', "return 'hello ' + name + punctuation", ""]

# less showing the first screen of greet's docstring, waiting at its ':' prompt.
PAGED = re.compile(r"Say hello\.\n(.*\n)*\s*Line \d+ of the docs\.\n:$")

@pytest.fixture
def shell(spawn) -> Term:
    term = spawn("-q", env={"PAGER": "less", "LESS": ""})
    term.wait_prompt(1)
    for line in GREET:
        term.line(line.lstrip())  # the editor indents the body
    term.wait_idle()
    term.line("def short(): 'Short and sweet.'")
    term.line("")
    term.wait_idle()
    return term


def tail(term: Term) -> str:
    """The last primary prompt's line and what is drawn below it (the toolbar)."""
    text = term.text()
    return text[text.rfind("\n>>> ") + 1:]


def test_signature_shows_on_the_toolbar_inside_the_call(shell):
    shell.send("greet(")
    shell.wait_for(lambda _: re.fullmatch(r">>> greet\(\n\s*.*\(name, punctuation=.!.\).*", tail(shell)))
    shell.send("'bob', ")  # still inside the call
    shell.wait_for(lambda _: re.fullmatch(r">>> greet\('bob',\n\s*greet\(name, .*", tail(shell)))
    shell.send(")")  # out of it: the toolbar goes
    shell.wait_for(lambda _: tail(shell) == ">>> greet('bob', )")
    shell.send("\r")
    shell.wait_for(re.compile(r"^'hello bob!'$", re.M))


def test_f1_pages_the_docstring_and_returns_to_the_line(shell):
    shell.send("greet")
    shell.wait_for(lambda _: tail(shell).startswith(">>> greet\n"))  # and the completion menu
    shell.send("\x1bOP")  # F1
    text = shell.wait_for(PAGED)
    assert "Line 59" not in text[text.rfind("Say hello."):]  # less, one screen at a time
    shell.send("q")
    shell.wait_for(lambda _: re.match(r">>> greet(\n|$)", tail(shell)))  # the line as it was
    shell.send("('ann')\r")
    shell.wait_for(re.compile(r"^'hello ann!'$", re.M))


def test_doc_command_pages_long_docs_and_prints_short_ones(shell):
    shell.line(":doc greet")
    shell.wait_for(PAGED)
    shell.send("q")
    shell.wait_idle()
    assert "Short and sweet." in shell.run(":doc short")  # short: printed, no pager
    assert shell.run(":doc nothing_here") == "no documentation found for nothing_here"
    assert shell.run(":doc") == "error: usage: :doc NAME (a name or dotted name, e.g. :doc os.path.join)"


@pytest.mark.parametrize("source, callee", [
    ("greet(", "greet"), ("os.path.join(a, [b", "os.path.join"), ("f(g(1), ", "f"), ("f(g(1", "g"),
    ("print('(', ", "print"), ("x = obj.method(\n    1,\n    ", "obj.method"), ("f(1)", None),
    ("def f(", None), ("class C(", None), ("if (", None), ("x[0](", None), ("1.5(", None),
    ("f('''(\n''', ", "f"), ("f(  # (\n", "f"), ("", None), ("print (", "print"),
])
def test_callee_at(source, callee):
    assert callee_at(source) == callee


@pytest.mark.parametrize("source, cursor, name", [
    ("os.path.join", 3, "os.path.join"), ("x = len", 7, "len"), ("greet('a', ", 11, "greet"),
    ("  ", 1, None),
])
def test_name_at(source, cursor, name):
    assert name_at(source, cursor) == name
