"""A pasted line of a megabyte runs, and the prompt comes back (issue 19).

Before, completion as you type ran a backtracking regular expression over the
whole line in the kernel and the run waited behind it: a 100,000-character
paste never got its prompt back.  Raw pexpect, no emulator: the screen of a
megabyte line is not what is checked, the time to the result is.
"""

from __future__ import annotations

import re
import sys
import time

import pytest
from term import answered, freshrepl_command, isolated_env, leave, spawn_child

if sys.platform != "linux":  # pragma: no cover
    pytest.skip("pty tests need Linux", allow_module_level=True)

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


@pytest.mark.parametrize("size", [100_000, 1_000_000])
def test_a_pasted_huge_line_runs_and_the_prompt_comes_back(size, home, project):
    child = spawn_child(freshrepl_command() + ["-q"], isolated_env(home), project, timeout=60)
    try:
        child.expect(">>>", timeout=30)
        line = "s = '" + "ab" * (size // 2) + "'"
        started = time.monotonic()
        child.send(PASTE_START + line + PASTE_END)
        child.send("\r")
        child.send("print(len(s), s[-3:])\r")
        # python3 takes about 9 s for the megabyte in this pty; 60 s is a generous bound.
        child.expect(answered(f"{size} bab"), timeout=60)
        assert time.monotonic() - started < 60
        child.send("1+1\r")
        child.expect(answered("2"), timeout=10)
    finally:
        leave(child)


def test_typing_after_a_huge_paste_stays_live(home, project):
    """Keys typed after the paste (each asking for completion) do not queue behind it."""
    child = spawn_child(freshrepl_command() + ["-q"], isolated_env(home), project, timeout=60)
    try:
        child.expect(">>>", timeout=30)
        child.send(PASTE_START + "t = '" + "xy" * 100_000 + "'" + PASTE_END)
        for key in "; u = t.upp":  # completion is asked while typing these
            child.send(key)
        child.send("er()\r")
        child.send("print(u[:4], len(u))\r")
        child.expect(answered("XYXY 200000"), timeout=60)
        assert not re.search(rb"Traceback", child.before or b"")
    finally:
        leave(child)
