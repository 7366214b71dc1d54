"""The session record (every input and whether it succeeded) and its replay.

The record outlives restarts: a second restart replays the same inputs plus
what came after the first.  Replayed inputs run with their output hidden and
standard input at end-of-file (the kernel does that); the first one that fails
stops the replay, and the rest of the record is kept.  A replay may start
from a position: a kernel resumed from a checkpoint already holds the
effects of the inputs before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from freshrepl import protocol
from freshrepl.dataclass_lite import dataclass_lite
from freshrepl.shell.kernel_client import KernelClient


@dataclass_lite
class Entry:
    source: str
    ok: bool
    block: bool = False  # pasted: runs as one block (protocol.RunRequest)


@dataclass_lite
class ReplayOutcome:
    replayed: int  # inputs that ran again successfully
    total: int  # inputs that were to be replayed
    seconds: float
    failed_at: int | None = None  # position (1-based) in the record of the input that failed
    failed_source: str = ""
    error: str = ""
    interrupted: bool = False
    resumed_at: int | None = None  # the position of the checkpoint the kernel came from

    def summary(self) -> str:
        head = f"{self.failed_source.splitlines()[0] if self.failed_source else ''}"
        if self.interrupted:
            return (f"{self._origin('; ')}replay interrupted at input #{self.failed_at} ({head}); "
                    f"{self.replayed} of {self.total} inputs replayed")
        if self.failed_at is not None:
            return (f"{self._origin('; ')}replay stopped at input #{self.failed_at} ({head}), "
                    f"which now fails; {self.replayed} of {self.total} inputs replayed")
        plural = "" if self.total == 1 else "s"
        replayed = f"replayed {self.total} input{plural} in {self.seconds:.2f} s"
        return f"{self._origin(' ')}({replayed})" if self.resumed_at is not None else replayed

    def _origin(self, then: str) -> str:
        if self.resumed_at is None:
            return ""
        where = f"input {self.resumed_at}" if self.resumed_at else "before input 1"
        return f"restarted from {where}{then}"


class SessionRecord:
    """Every input run in this shell, in order, with whether it succeeded."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, source: str, ok: bool, block: bool = False) -> None:
        self.entries.append(Entry(source, ok, block))

    def successful_count(self) -> int:
        return sum(1 for entry in self.entries if entry.ok)

    def replay(
        self,
        kernel: KernelClient,
        progress: Callable[[int, int], None],
        interrupted: Callable[[], bool],
        on_reply: Callable[[protocol.RunReply], None],
        start: int = 0,
        on_start: Callable[[int], None] | None = None,
        started: float | None = None,
    ) -> ReplayOutcome:
        """Run the successful inputs after the first ``start`` again in ``kernel``.

        Stops at the first failure.  ``on_start`` is told the (0-based)
        position of each input before it runs; ``started`` is when the restart
        began, if the time to report should include more than the replay.
        """
        todo = [(n, e) for n, e in enumerate(self.entries, 1) if e.ok and n > start]
        started = time.monotonic() if started is None else started
        outcome = ReplayOutcome(0, len(todo), 0.0)
        for done, (position, entry) in enumerate(todo):
            progress(done + 1, len(todo))
            if on_start is not None:
                on_start(position - 1)
            reply = kernel.run(entry.source, replay=True, block=entry.block)
            on_reply(reply)
            if interrupted() or not reply.ok:
                outcome.failed_at, outcome.failed_source = position, entry.source
                outcome.error = reply.error
                outcome.interrupted = interrupted()
                break
            outcome.replayed += 1
        outcome.seconds = time.monotonic() - started
        return outcome
