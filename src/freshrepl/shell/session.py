"""The session record (every input and whether it succeeded) and its replay.

The record outlives restarts: a second restart replays the same inputs plus
what came after the first.  Replayed inputs run with their output hidden and
standard input at end-of-file (the kernel does that); the first one that fails
stops the replay, and the rest of the record is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from freshrepl import protocol
from freshrepl.shell.kernel_client import KernelClient


@dataclass
class Entry:
    source: str
    ok: bool


@dataclass
class ReplayOutcome:
    replayed: int  # inputs that ran again successfully
    total: int  # inputs that were to be replayed
    seconds: float
    failed_at: int | None = None  # position (1-based) in the record of the input that failed
    failed_source: str = ""
    error: str = ""
    interrupted: bool = False

    def summary(self) -> str:
        head = f"{self.failed_source.splitlines()[0] if self.failed_source else ''}"
        if self.interrupted:
            return (f"replay interrupted at input #{self.failed_at} ({head}); "
                    f"{self.replayed} of {self.total} inputs replayed")
        if self.failed_at is not None:
            return (f"replay stopped at input #{self.failed_at} ({head}), which now fails; "
                    f"{self.replayed} of {self.total} inputs replayed")
        plural = "" if self.total == 1 else "s"
        return f"replayed {self.total} input{plural} in {self.seconds:.2f} s"


class SessionRecord:
    """Every input run in this shell, in order, with whether it succeeded."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, source: str, ok: bool) -> None:
        self.entries.append(Entry(source, ok))

    def successful_count(self) -> int:
        return sum(1 for entry in self.entries if entry.ok)

    def replay(
        self,
        kernel: KernelClient,
        progress: Callable[[int, int], None],
        interrupted: Callable[[], bool],
        on_reply: Callable[[protocol.RunReply], None],
    ) -> ReplayOutcome:
        """Run the successful inputs again in ``kernel``; stop at the first failure."""
        todo = [(n, e) for n, e in enumerate(self.entries, 1) if e.ok]
        started = time.monotonic()
        outcome = ReplayOutcome(0, len(todo), 0.0)
        for done, (position, entry) in enumerate(todo):
            progress(done + 1, len(todo))
            reply = kernel.run(entry.source, replay=True)
            on_reply(reply)
            if interrupted() or not reply.ok:
                outcome.failed_at, outcome.failed_source = position, entry.source
                outcome.error = reply.error
                outcome.interrupted = interrupted()
                break
            outcome.replayed += 1
        outcome.seconds = time.monotonic() - started
        return outcome
