"""Job control: Ctrl-Z stops shell and kernel as one job of the user's shell; ``fg`` resumes both."""

from __future__ import annotations

import re

from term import wait_stopped


def test_ctrl_z_at_the_prompt_suspends_shell_and_kernel_and_fg_resumes(job_shell):
    shell = job_shell
    assert shell.run("x = 42") == ""
    shell.send("x +")
    shell.wait_for(">>> x +")
    shell.send("\x1a")
    wait_stopped(shell)
    after = shell.mark()
    shell.line("fg")
    shell.wait_for(re.compile(r"^>>> x \+$", re.M), after=after)  # the line as it was left
    shell.line(" 1")
    shell.wait_for(re.compile(r"^43$", re.M), after=after)
    shell.wait_idle()


def test_ctrl_z_while_code_runs_suspends_both_and_fg_lets_it_finish(job_shell):
    shell = job_shell
    shell.run("x = 42")
    shell.line("print('started'); import time; time.sleep(1); print('finished', x)")
    shell.wait_for(re.compile(r"^started$", re.M))
    shell.send("\x1a")
    wait_stopped(shell)
    assert not re.search(r"^finished", shell.text(), re.M)
    after = shell.mark()
    shell.line("fg")
    shell.wait_for(re.compile(r"^finished 42$", re.M), after=after)
    shell.wait_idle()
    assert shell.run("x + 1") == "43"
