"""Faults found by trying the shell as a new user would, each pinned by an end-to-end test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from term import Term

# Typed line by line, the auto-indent would push ``else:`` inside the ``if`` block.
BLOCK = 'if 1:\n    x = "yes"\nelse:\n    x = "no"\n\n'


def paste(term: Term, text: str) -> None:
    """Paste as a terminal does: marked as a paste only if the program turned bracketed paste on."""
    term.pump(0)
    modes = re.findall(rb"\x1b\[\?2004([hl])", term.raw)
    if modes and modes[-1] == b"h":
        term.send("\x1b[200~" + text + "\x1b[201~")
    else:
        term.send(text.replace("\n", "\r"))


def test_block_pasted_right_at_start_up_is_indented_once(spawn):
    term = spawn("-q")
    term.wait_for(re.compile(r"^>>> ?$", re.M))
    paste(term, BLOCK)
    # The paste went in while the first, early prompt was up (before the editor drew anything).
    assert b"\r\x1b[K" not in term.raw
    term.wait_for(re.compile(r'^\.\.\.     x = "no"\n', re.M))  # the block, indented once, has run
    term.wait_idle()
    assert term.run("x") == "'yes'"
    assert "Error" not in term.text()


@pytest.mark.parametrize("code", [
    "print('result'); import time; time.sleep(0.3)",  # the kernel still runs: cooked mode for sure
    "print('result')",  # the instant the result appears, as an editor or tmux sends it
])
def test_ctrl_d_typed_as_the_result_is_printed_ends_the_session(spawn, code):
    term = spawn("-q")
    term.wait_prompt(1)
    term.line(code)
    term.wait_for(re.compile(r"^result$", re.M))
    term.send("\x04")
    assert term.wait_exit() == 0


def test_lines_typed_while_code_runs_still_run_after_it(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.line("print('result'); import time; time.sleep(0.3)")
    term.wait_for(re.compile(r"^result$", re.M))
    term.send("6 * 7\r")
    term.wait_for(re.compile(r"^42$", re.M))
    term.wait_idle()
    assert term.run("'still here'") == "'still here'"


def test_ctrl_c_after_a_recalled_entry_was_kept_across_a_reload_gives_an_empty_line(
    spawn, project: Path, home: Path
):
    history = home / "state" / "freshrepl" / "history"
    history.parent.mkdir(parents=True)
    history.write_bytes(b"\n# stamp\n+damaged = '\xff\xfe'\n")
    (project / "calc.py").write_text("def f():\n    return 1\n")
    term = spawn("-q")
    term.wait_for("damaged;")
    term.wait_idle()
    term.run("import calc")
    term.send("\x1b[A\x1b[A")  # Up, Up: the damaged entry
    term.wait_for(re.compile(r"^>>> damaged = '\ufffd\ufffd'$", re.M), after=term.mark())
    (project / "calc.py").write_text("def f():\n    return 2\n")
    term.wait_for(re.compile(r"reloaded calc.*\n>>> damaged = '\ufffd\ufffd'$", re.S))
    term.send("\x03")
    term.wait_for(re.compile(r"^KeyboardInterrupt\n>>>$", re.M))
    assert term.run("calc.f()") == "2"


def test_keep_on_unsafe_says_the_module_is_now_stale(spawn, project: Path):
    (project / "pinned.py").write_text("__freshrepl_reload__ = False\nVALUE = 1\n")
    term = spawn("-q", "--on-unsafe", "keep")
    term.wait_prompt(1)
    term.run("import pinned")
    mark = term.mark()
    (project / "pinned.py").write_text("__freshrepl_reload__ = False\nVALUE = 2\n")
    term.wait_for(re.compile(r"cannot reload pinned.*\n.*pinned is now stale", re.S), after=mark)
    assert term.run("pinned.VALUE") == "1"
    assert re.search(r"^pinned\s+stale", term.run(":watch"), re.M)
