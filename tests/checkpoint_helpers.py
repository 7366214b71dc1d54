"""What the checkpoint tests share: a log the inputs write to, and waiting for an idle checkpoint."""

from __future__ import annotations

import re
import time

IDLE = "while idle, for :undo"


def wait_checkpoint(term, after_input: int, timeout: float = 15) -> str:
    """``:checkpoints`` until it lists the idle one after input ``after_input`` (it is taken
    a moment after the prompt; a test types faster than a user)."""
    row = re.compile(rf"^\s*\d+\s+{after_input}\s+\d+\s+[0-9.]+ MB\s+{IDLE}", re.M)
    deadline = time.monotonic() + timeout
    while True:
        table = term.run(":checkpoints")
        if row.search(table):
            return table
        assert time.monotonic() < deadline, f"no checkpoint after input {after_input} in:\n{table}"
        time.sleep(0.1)


def define_note(term, project) -> None:
    """Bind ``note(s)`` in the session: it appends ``s`` to ``log.txt`` (what ran, and how often)."""
    term.run(f"note = lambda s: open({str(project / 'log.txt')!r}, 'a').write(s + chr(10))")


def logged(project) -> list[str]:
    """What ``note`` wrote, in order."""
    path = project / "log.txt"
    return path.read_text().split() if path.exists() else []
