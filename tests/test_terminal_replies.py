"""Terminal replies never become text or input: not on screen, not in the kernel's stdin, not in bash.

The test terminal (``term.Term``) answers a cursor-position query the way a
real one does, but late: after the keys typed next, like a slow terminal or
ssh link whose answer arrives once the shell has handed the terminal to the
kernel.
"""

from __future__ import annotations

import re
import sys

import pytest
from term import JOB_PROMPT, Term, wait_stopped

# What a cursor-position reply leaves when echoed or typed into a line: "^[[6;1R", ";1R".
REPLY = re.compile(r"\[\d+;\d+R|;\d+R")


def assert_no_reply(term: Term) -> None:
    assert term.screen.queries == 0, "the shell asked the terminal for the cursor position"
    assert not REPLY.search(term.text()), term.text()


def test_notice_then_input_at_once_reads_only_what_is_typed(spawn, project):
    module = project / "mod.py"
    module.write_text("V = 'v0'\n")
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import mod")
    for round_ in range(1, 21):
        mark = term.mark()
        module.write_text(f"V = 'v{round_}'\n")
        term.wait_for("reloaded mod", after=mark)
        # Enter at once: a reply to a query made with the new prompt would come after it.
        term.send("print(mod.V, repr(input('? ')))\r")
        term.wait_for(re.compile(r"^\? ?$", re.M), after=mark)
        term.send(f"typed{round_}\r")
        term.wait_for(re.compile(rf"^v{round_} 'typed{round_}'$", re.M), after=mark)
        term.wait_idle()
    assert_no_reply(term)
    assert term.run("1+1") == "2"


def test_stray_reply_typed_at_the_prompt_changes_nothing(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("x = 41")
    term.send("print(x + 1)\x1b[12;1R")  # what a terminal sends unasked (or a reply meant for another)
    term.wait_for(">>> print(x + 1)")
    term.send("\r")
    term.wait_for(re.compile(r"^42$", re.M))
    term.wait_idle()
    assert term.run("1+1") == "2"
    assert_no_reply(term)


def test_ctrl_z_at_any_moment_then_fg_and_ctrl_c_leave_nothing_in_bash(job_shell):
    shell = job_shell
    code = "import time; print('started'); time.sleep(0.5); print('finished')"
    for moment in ("right after Enter", "while it runs", "at the prompt"):
        mark = shell.mark()
        if moment != "at the prompt":
            shell.line(code)
            if moment == "while it runs":
                shell.wait_for(re.compile(r"^started$", re.M), after=mark)
        shell.send("\x1a")
        wait_stopped(shell)
        # bash's prompt after the stop held nothing but the command typed next.
        after_stop = shell.text()[mark:].split("Stopped", 1)[1].split("\n")[1]
        assert after_stop.startswith(JOB_PROMPT + ' echo "kernel state'), after_stop
        shell.line("fg")
        if moment != "at the prompt":
            shell.wait_for(re.compile(r"^finished$", re.M), after=mark)
        shell.wait_idle()
        assert "syntax error" not in shell.text()
    shell.line("time.sleep(30)")
    shell.wait_for(re.compile(r"^>>> time.sleep\(30\)$", re.M))
    shell.send("\x03")
    shell.wait_for("KeyboardInterrupt")
    shell.wait_idle()
    assert shell.run("1+1") == "2"
    assert_no_reply(shell)


def _can_put_keys_back() -> bool:
    try:
        with open("/proc/sys/dev/tty/legacy_tiocsti") as setting:
            return setting.read().strip() != "0"
    except OSError:
        return sys.platform.startswith("linux")  # before the setting existed, always allowed


@pytest.mark.skipif(not _can_put_keys_back(), reason="the system forbids putting keys back (TIOCSTI)")
@pytest.mark.parametrize("prompt", ["early", "editor"])
def test_keys_sent_with_the_enter_reach_the_codes_input_as_in_python3(spawn, prompt):
    term = spawn("-q")
    term.wait_prompt(1)
    if prompt == "editor":
        term.wait_editor()
    mark = term.mark()
    term.send("print(repr(input('? ')))\rtyped at once\r")  # one burst, read in one go
    term.wait_for(re.compile(r"^'typed at once'$", re.M), after=mark)
    term.wait_idle()
    assert term.text()[mark:].count("typed at once") == 2  # once after "? ", then the result
    mark = term.mark()
    term.send("x = 5\rx + 1\r'after'\r")  # lines the code does not read: the next prompts'
    term.wait_for(re.compile(r"^'after'\n>>>$", re.M), after=mark)
    assert term.text()[mark:] == ">>> x = 5\n>>> x + 1\n6\n>>> 'after'\n'after'\n>>>"
