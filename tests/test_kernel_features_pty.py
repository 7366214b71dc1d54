"""End to end in a real pty: top-level await, bare exit, colour, malformed input, completion."""

from __future__ import annotations

import os
import re

import pytest

PYTHON_313 = "/root/.pyenv/versions/3.13.0/bin/python3"
# An SGR colour sequence (pygments' terminal formatter) right before the text.
COLOURED_42 = re.compile(rb"\x1b\[[0-9;]*m42")


def test_await_across_inputs_on_one_loop(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    assert term.run("import sys; 'asyncio' in sys.modules") == "False"  # not loaded at start-up
    term.send("\x1b[200~import asyncio\nasync def double(x):\n    await asyncio.sleep(0.01)\n"
              "    return x * 2\n\n\x1b[201~")
    term.wait_prompt(3)
    term.wait_idle()
    assert term.run("t = asyncio.create_task(double(21))") == ""
    assert term.run("await t") == "42"
    assert term.run("loop = asyncio.get_event_loop()") == ""
    assert term.run("await asyncio.sleep(0, asyncio.get_running_loop() is loop)") == "True"


def test_ctrl_c_interrupts_an_awaiting_input(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import asyncio; kept = 'yes'")
    term.line("print('wait' + 'ing'); await asyncio.sleep(30)")
    term.wait_for(re.compile(r"^waiting$", re.M))
    term.send("\x03")
    term.wait_for("KeyboardInterrupt")
    term.wait_idle()
    text = term.text()
    assert "Traceback (most recent call last):" in text and "freshrepl" not in text.split("-q")[-1]
    assert term.run("kept") == "'yes'"
    assert term.run("await asyncio.sleep(0, 'again')") == "'again'"


@pytest.mark.parametrize("name", ["exit", "quit"])
def test_bare_exit_and_quit_leave_with_status_0(spawn, name):
    term = spawn("-q")
    term.wait_prompt(1)
    term.line(name)
    assert term.wait_exit() == 0


def test_bound_exit_is_just_a_name(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("exit = 5")
    assert term.run("exit") == "5"
    term.line("quit")
    assert term.wait_exit() == 0


def test_results_and_tracebacks_are_coloured(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    assert term.run("[42, 'x', None]") == "[42, 'x', None]"
    assert COLOURED_42.search(term.raw)
    output = term.run("1/0")
    assert output.endswith("ZeroDivisionError: division by zero")
    assert re.search(rb"\x1b\[[0-9;]*mZeroDivisionError", term.raw)


@pytest.mark.parametrize("how", [("--no-color",), ()])
def test_no_colour_output_is_plain(spawn, how):
    env = {} if how else {"NO_COLOR": "1"}
    term = spawn("-q", *how, env=env)
    term.wait_prompt(1)
    assert term.run("[42, 'x', None]") == "[42, 'x', None]"
    assert b"[42, 'x', None]\r\n" in term.raw and not COLOURED_42.search(term.raw)


@pytest.mark.parametrize("python", [
    None,
    pytest.param(PYTHON_313, marks=pytest.mark.skipif(not os.path.exists(PYTHON_313),
                                                      reason="no Python 3.13")),
])
def test_pasted_control_characters_keep_the_session(spawn, python):
    term = spawn("-q", *(["--python", python] if python else []))
    term.wait_prompt(1)
    for pasted in ("x = 'a\x00b'", "a\x01b", "print(\x02)"):
        mark = term.mark()
        term.send("\x1b[200~" + pasted + "\x1b[201~\r")
        term.wait_for(re.compile(r"^\w*Error: ", re.M), after=mark)
        term.wait_idle()
        assert "internal error" not in term.text()
        assert term.run("1 + 1") == "2"


def test_tab_completes_dictionary_keys_and_paths(spawn, project):
    (project / "data_dir").mkdir()
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("settings = {'alpha_key': 1, 'beta': 2}")
    term.send("settings['alp\t")
    term.wait_for(">>> settings['alpha_key']")
    term.send("\r")
    term.wait_for(re.compile(r"^1$", re.M))
    term.wait_idle()
    term.send("import os; os.listdir('data_\t")
    term.wait_for(">>> import os; os.listdir('data_dir/")
    term.send("')\r")
    term.wait_for(re.compile(r"^\[\]$", re.M))
