"""What the checkpoint tests share: waiting for a checkpoint taken while the kernel is idle."""

from __future__ import annotations

import time


def wait_checkpoint(term, text: str, timeout: float = 15) -> str:
    """``:checkpoints`` until it lists ``text`` (an idle checkpoint is taken a moment after
    the prompt; a test types faster than a user)."""
    deadline = time.monotonic() + timeout
    while True:
        table = term.run(":checkpoints")
        if text in table:
            return table
        assert time.monotonic() < deadline, f"no checkpoint {text!r} in:\n{table}"
        time.sleep(0.1)
