"""Keys typed before the shell is ready: run once, in order, shown as python3 shows them.

The shell reads simple lines typed at the early prompt itself while the line
editor loads, and hands everything else to the editor; these tests type the
moment the first prompt is drawn (long before the editor is loaded), so they
exercise both hands.  (Keys typed before even that are echoed by the terminal
itself, as for python3.)
"""

from __future__ import annotations

import re
import sys

import pytest

if sys.platform != "linux":  # pragma: no cover
    pytest.skip("pty tests need Linux", allow_module_level=True)


def test_typed_ahead_lines_run_once_in_order_with_python3s_screen(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("n = 0\rn += 1\rprint(n * 42)\rn + 1\r")
    term.wait_for("\n2")
    term.wait_idle()
    assert term.text() == "\n".join([
        ">>> n = 0",
        ">>> n += 1",
        ">>> print(n * 42)",
        "42",
        ">>> n + 1",
        "2",
        ">>>",
    ])
    assert term.run("n") == "1"  # each line ran exactly once


def test_typed_ahead_lines_are_in_the_history(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("a = 1\rb = 2\r")
    term.wait_prompt(3)
    term.wait_idle()
    term.send("\x1b[A")  # Up: the last input comes back
    term.wait_for(re.compile(r"^>>> b = 2$", re.M))
    term.send("\x1b[A")
    term.wait_for(re.compile(r"^>>> a = 1$", re.M))


def test_a_block_typed_ahead_is_indented_as_the_editor_does(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("def f():\rreturn 5\r\rf() + 1\r")
    term.wait_for(re.compile(r"^6$", re.M))
    term.wait_idle()
    assert "...     return 5" in term.text()
    assert term.run("f()") == "5"


def test_a_loop_typed_ahead_runs_at_once_and_ctrl_c_stops_it(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("n = 0\rwhile True:\rn += 1\r\r")
    term.wait_for(re.compile(r"^\.\.\.\s*$", re.M))  # the block's last, blank line
    term.pump(0.3)
    term.send("\x03")
    term.wait_for("KeyboardInterrupt")
    term.wait_idle()
    assert int(term.run("n")) > 0


def test_an_editing_key_in_a_typed_ahead_block_hands_it_to_the_editor(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("if True:\rx = 1\x7f2\r\rx\r")  # a Backspace in the block's second line
    term.wait_for(re.compile(r"^2$", re.M))
    term.wait_idle()
    assert term.text().count(">>> if True:") == 1  # drawn again in place, not twice


def test_editing_keys_typed_ahead_go_to_the_editor(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("x = 1\r9\x7f2 + x\r")  # a backspace in the second line
    term.wait_for(re.compile(r"^3$", re.M))
    term.wait_idle()
    assert term.run("x") == "1"


def test_a_partial_line_is_kept_for_the_editor(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("7 *")  # no Enter yet: the editor takes over from these keys
    term.wait_for(">>> 7 *")
    term.wait_for(lambda _: term.prompts() == 1)
    term.send(" 6\r")
    term.wait_for(re.compile(r"^42$", re.M))
    term.wait_idle()
    assert ">>> 7 * 6" in term.text()


def test_ctrl_d_typed_ahead_exits(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("1 + 1\r\x04")
    assert term.wait_exit() == 0
    assert re.search(r"^2$", term.text(), re.M)

