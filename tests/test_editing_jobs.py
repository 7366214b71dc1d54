"""Job control: Ctrl-Z stops shell and kernel as one job of the user's shell; ``fg`` resumes both."""

from __future__ import annotations

import re
import shlex

import pytest
import term as term_module
from term import Term

JOB_PROMPT = "jobshell$"


@pytest.fixture
def job_shell(spawn, monkeypatch) -> Term:
    """An interactive bash (job control on) in the pty, running ``freshrepl -q``."""
    freshrepl = " ".join(shlex.quote(part) for part in term_module.freshrepl_command())
    monkeypatch.setattr(term_module, "freshrepl_command", lambda: ["bash"])
    shell = spawn("--norc", "--noprofile", "-i", env={"PS1": JOB_PROMPT + " "})
    shell.wait_for(JOB_PROMPT)
    shell.line(f"{freshrepl} -q")
    shell.wait_prompt(1)
    return shell


def _stopped_and_kernel_stopped(shell: Term) -> None:
    """bash says the job stopped, and the kernel (the shell's child) is stopped too."""
    after = shell.mark()
    shell.wait_for(re.compile(r"Stopped.*\n" + re.escape(JOB_PROMPT)), after=after)
    shell.line('echo "kernel state: $(ps -o stat= --ppid $(jobs -p %1))"')
    shell.wait_for(re.compile(r"^kernel state: T", re.M), after=after)


def test_ctrl_z_at_the_prompt_suspends_shell_and_kernel_and_fg_resumes(job_shell):
    shell = job_shell
    assert shell.run("x = 42") == ""
    shell.send("x +")
    shell.wait_for(">>> x +")
    shell.send("\x1a")
    _stopped_and_kernel_stopped(shell)
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
    _stopped_and_kernel_stopped(shell)
    assert not re.search(r"^finished", shell.text(), re.M)
    after = shell.mark()
    shell.line("fg")
    shell.wait_for(re.compile(r"^finished 42$", re.M), after=after)
    shell.wait_idle()
    assert shell.run("x + 1") == "43"
