"""What the checkpoint tests share: waiting for a checkpoint taken while the kernel is idle."""

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
