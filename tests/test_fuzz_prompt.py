"""Fuzzing the prompt: random keys, pastes, resizes and Ctrl-Z/fg under a real bash, then 1+1.

A seeded random generator drives a real ``bash -i`` running freshrepl in a
pty for a few seconds: printable text, Enter, escape sequences (arrows,
function keys, Alt-keys, unknown and cut-off ones), Ctrl keys, bracketed
pastes full of control characters, terminal resizes, and Ctrl-Z then ``fg``.
Afterwards the shell must be alive and answer ``1+1`` with ``2``, and no
terminal reply may be on screen.  A failure names its seed; run it again
with ``FRESHREPL_FUZZ_SEED=<seed>`` (``FRESHREPL_FUZZ_SECONDS`` for longer runs).
"""

from __future__ import annotations

import os
import random
import re
import time

import pytest
from term import JOB_PROMPT, Term

SECONDS = float(os.environ.get("FRESHREPL_FUZZ_SECONDS", "10"))
SEEDS = [int(os.environ["FRESHREPL_FUZZ_SEED"])] if "FRESHREPL_FUZZ_SEED" in os.environ else [19, 2026]

# Typed text that cannot spell exit/quit, a meta-command (":"), or a run that never ends (9**9**9).
TEXT = "abcdefghijklmnoprstuvwyz0123456789 ()[]+-,.'\"=_#"
# Ctrl keys, but not Ctrl-D (leaves), Ctrl-Z (its own action), Ctrl-\ (SIGQUIT while code
# runs, as in python3) and Ctrl-S/Ctrl-Q (flow control stops the terminal while code runs).
CONTROLS = [chr(c) for c in range(1, 27) if chr(c) not in "\x04\x1a\x13\x11"]
ESCAPES = [
    "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1b[H", "\x1b[F", "\x1b[1;5C", "\x1b[1;5D",
    "\x1b[2~", "\x1b[3~", "\x1b[5~", "\x1b[6~", "\x1bOP", "\x1bOQ", "\x1b[15~", "\x1b[24~",
    "\x1bb", "\x1bf", "\x1bd", "\x1b\x7f", "\x1b", "\x1b[", "\x1b[99;99~", "\x1b[<0;10;5M",
    "\x1b]0;title\x07", "\x1bO", "\x1b[?1;2c", "\x1b[201~",
]  # not a lone paste start: all keys after it are the paste's until its end (readline's too)
# Replies a terminal sends (and what is left of one typed into a line), never to be shown.
REPLY = re.compile(r"\[\d+;\d+R|;\d+R")


def random_paste(rng: random.Random) -> str:
    alphabet = TEXT + "\n\r\t\x00\x01\x03\x07\x08\x7f" + "éλ中"
    body = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
    return "\x1b[200~" + body + "\x1b[201~"


def suspend_and_resume(shell: Term) -> None:
    """Ctrl-Z; once bash says the job stopped, ``fg`` (Ctrl-Z in a state that ignores it: nothing)."""
    stopped = shell.text().count("Stopped")
    shell.send("\x1a")
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and shell.text().count("Stopped") == stopped:
        shell.pump(0.05)
    if shell.text().count("Stopped") > stopped:
        shell.wait_for(lambda text: text.rstrip().endswith(JOB_PROMPT))
        shell.line("fg")


def resize(shell: Term, rng: random.Random) -> None:
    rows, cols = rng.randint(8, 50), rng.randint(20, 160)
    shell.screen.resize(rows, cols)
    shell.child.setwinsize(rows, cols)


def one_action(shell: Term, rng: random.Random) -> None:
    kind = rng.choices(["text", "enter", "escape", "control", "paste", "resize", "suspend"],
                       weights=[30, 8, 20, 12, 8, 4, 2])[0]
    if kind == "text":
        shell.send("".join(rng.choice(TEXT) for _ in range(rng.randint(1, 12))))
    elif kind == "enter":
        shell.send("\r")
    elif kind == "escape":
        shell.send(rng.choice(ESCAPES))
    elif kind == "control":
        shell.send(rng.choice(CONTROLS))
    elif kind == "paste":
        shell.send(random_paste(rng))
    elif kind == "resize":
        resize(shell, rng)
    else:
        suspend_and_resume(shell)


def processes(shell: Term) -> str:
    """The job's processes and what they wait on (for a failure's message)."""
    import subprocess

    return subprocess.run(["ps", "-o", "pid,stat,wchan:24,args", "-s", str(shell.child.pid)],
                          capture_output=True, text=True).stdout


def recover(shell: Term) -> None:
    """Back to an empty primary prompt the way a person would: Escape, Ctrl-C, until it shows."""
    shell.screen.resize(40, 110)
    shell.child.setwinsize(40, 110)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        shell.send("\x1b")  # leaves vi's insert mode or a half-typed sequence
        shell.pump(0.2)
        shell.send("\x03")
        try:
            shell.wait_for(lambda _: shell.at_prompt(), timeout=2)
            return
        except AssertionError:
            continue


@pytest.mark.parametrize("seed", SEEDS)
def test_random_keys_leave_the_shell_alive_and_clean(job_shell, seed):
    shell = job_shell
    rng = random.Random(seed)
    deadline = time.monotonic() + SECONDS
    actions = 0
    while time.monotonic() < deadline:
        one_action(shell, rng)
        actions += 1
        shell.pump(0.02)
    recover(shell)
    assert shell.at_prompt(), (f"seed {seed}: no prompt after {actions} actions:\n{shell.text()}\n"
                               f"{processes(shell)}")
    assert shell.run("1+1", timeout=20) == "2", f"seed {seed}:\n{shell.text()}"
    assert shell.screen.queries == 0 and not REPLY.search(shell.text()), f"seed {seed}:\n{shell.text()}"
