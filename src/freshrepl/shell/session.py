"""The session record (the inputs the live kernel holds, numbered as the user sees them), its replay and its listing.

Every input gets a number when it runs, counted from 1 and never reused in
this shell (one that kills the kernel keeps its number, unrecorded), so
"input 7" means one thing in every message, in ``:record`` and in ``:drop 7``
even after inputs left the record.  Checkpoints
stand at numbers too: the number of the last input whose effects they hold
(0: none).

The record is what the live kernel holds: a restart with ``--no-replay``
empties it, and a replay that stops at input k leaves the kernel without k
and what came after, so those leave the record too (the caller is told
which, and says so).  A later restart then replays what was typed since,
never the input that stopped it.  Replayed inputs run with their output
hidden and standard input at end-of-file (the kernel does that).  A replay
may start after a number: a kernel resumed from a checkpoint already holds
the effects of the inputs up to it.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable

from freshrepl import protocol
from freshrepl.dataclass_lite import dataclass_lite, field
from freshrepl.shell.kernel_client import KernelClient

# Inputs listed by number when they leave the record; the rest are counted.
LISTED = 10
SHOWN_WIDTH = 60  # characters of an input's first line shown in a listing


@dataclass_lite
class Entry:
    number: int  # shown to the user; never reused in this shell
    source: str
    ok: bool
    block: bool = False  # pasted: runs as one block (protocol.RunRequest)

    def headline(self, width: int = SHOWN_WIDTH) -> str:
        """The first line, cut to ``width``, and how many more lines there are."""
        lines = self.source.strip("\n").splitlines() or [""]
        first = lines[0].expandtabs(4)
        if len(first) > width:
            first = first[:width - 1] + "…"
        more = len(lines) - 1
        return first + (f"  (+{more} line{'' if more == 1 else 's'})" if more else "")


def _number(entry: Entry) -> int:
    return entry.number


def listing(entries: list[Entry], indent: str = "  ") -> str:
    """One line per entry (its number and first line); past ``LISTED`` entries, a count."""
    lines = [f"{indent}{entry.number:>4}  {entry.headline()}" for entry in entries[:LISTED]]
    if len(entries) > LISTED:
        lines.append(f"{indent}  … and {len(entries) - LISTED} more")
    return "\n".join(lines)


def span(entries: list[Entry]) -> str:
    """``4`` or ``1–25``: the numbers of the first and the last of ``entries``."""
    if not entries:
        return ""
    first, last = entries[0].number, entries[-1].number
    return str(first) if first == last else f"{first}–{last}"


def restart_question(record: SessionRecord) -> str:
    """``Restart the kernel and replay 22 inputs (1–25)? [Y/n]``"""
    successful = record.successful()
    plural = "" if len(successful) == 1 else "s"
    where = f" ({span(successful)})" if successful else ""
    return f"Restart the kernel and replay {len(successful)} input{plural}{where}? [Y/n]"


def render_record(record: SessionRecord, marks: list[tuple[int, str]],
                  holds_dropped: bool = False) -> str:
    """``:record``: each input's number, whether it succeeded and its first line, with
    ``marks`` (a checkpoint's number and label) shown where they stand between inputs."""
    pending = sorted(marks, key=lambda mark: mark[0])
    lines = [f"{'input':>5}  {'result':<6}  source"] if record.entries else []

    def marks_before(number: int) -> None:
        while pending and pending[0][0] < number:
            lines.append(f"{'':>5}  {'':<6}  ── {pending.pop(0)[1]}")

    for entry in record.entries:
        marks_before(entry.number)
        lines.append(f"{entry.number:>5}  {'ok' if entry.ok else 'failed':<6}  {entry.headline()}")
    marks_before(record.next_number + 1)
    count = len(record.entries)
    if not count:
        lines.append("the record is empty: a restart replays nothing")
    else:
        good = record.successful_count()
        lines.append(f"{count} input{'' if count == 1 else 's'}; a restart replays the {good} "
                     "that succeeded (:drop N takes one out)")
    if holds_dropped:
        lines.append("this kernel still holds what the dropped inputs did; a restart leaves it out")
    return "\n".join(lines)


def dropped_note(entry: Entry, ended: int, kernel_keeps: bool) -> str:
    """What ``:drop N`` did: a restart will not replay the input (the live kernel keeps it)."""
    line = f"dropped input {entry.number} ({entry.headline()}): a restart will not replay it"
    if kernel_keeps:
        line += "; this kernel keeps its effects"
    if ended:
        line += f"; {ended} checkpoint{'s' if ended > 1 else ''} holding them ended"
    return line


@dataclass_lite
class ReplayOutcome:
    replayed: int  # inputs that ran again successfully
    total: int  # inputs that were to be replayed
    seconds: float
    failed_at: int | None = None  # the number of the input that failed (or was interrupted)
    failed_source: str = ""
    error: str = ""
    interrupted: bool = False
    resumed_at: int | None = None  # the number the checkpoint the kernel came from stands at
    first: int = 1  # the number of the record's first input ("restarted from before input 1")
    # The inputs the replay did not reach (or that failed), now out of the record.
    left_out: list[Entry] = field(default_factory=list)

    def summary(self) -> str:
        head = self.failed_source.splitlines()[0] if self.failed_source else ""
        if self.interrupted:
            line = (f"{self._origin('; ')}replay interrupted at input {self.failed_at} ({head}); "
                    f"{self.replayed} of {self.total} inputs replayed")
        elif self.failed_at is not None:
            line = (f"{self._origin('; ')}replay stopped at input {self.failed_at} ({head}), "
                    f"which now fails; {self.replayed} of {self.total} inputs replayed")
        else:
            plural = "" if self.total == 1 else "s"
            replayed = f"replayed {self.total} input{plural} in {self.seconds:.2f} s"
            return f"{self._origin(' ')}({replayed})" if self.resumed_at is not None else replayed
        return line + left_out_note(self.left_out)

    def _origin(self, then: str) -> str:
        if self.resumed_at is None:
            return ""
        where = f"input {self.resumed_at}" if self.resumed_at else f"before input {self.first}"
        return f"restarted from {where}{then}"


def left_out_note(entries: list[Entry]) -> str:
    """The lines after a stopped replay: what was not replayed and is out of the record now."""
    if not entries:
        return ""
    return ("\nnot replayed, and out of the record now (Up and Ctrl-R still find them):\n"
            + listing(entries))


class SessionRecord:
    """The inputs whose effects the live kernel holds, in order, with whether each succeeded.

    The API others build on (restarts, ``:drop``, ``:undo``): ``add`` an input
    as it completes; ``drop(n)`` takes input n out; ``drop_from(n)`` takes out
    input n and every later one; ``number_before(n)`` is where a checkpoint
    taken just before input n stands.
    """

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.next_number = 1  # the number the next recorded input gets

    def add(self, source: str, ok: bool, block: bool = False) -> Entry:
        entry = Entry(self.next_number, source, ok, block)
        self.next_number += 1
        self.entries.append(entry)
        return entry

    def successful(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.ok]

    def successful_count(self) -> int:
        return sum(1 for entry in self.entries if entry.ok)

    def last_number(self) -> int:
        """The number of the newest input in the record (0 if it is empty)."""
        return self.entries[-1].number if self.entries else 0

    def number_before(self, number: int) -> int:
        """The number of the last input in the record before input ``number`` (0 if none)."""
        at = bisect_left(self.entries, number, key=_number)  # numbers grow along the record
        return self.entries[at - 1].number if at else 0

    def find(self, number: int) -> Entry | None:
        return next((entry for entry in self.entries if entry.number == number), None)

    def drop(self, number: int) -> Entry:
        """Take input ``number`` out of the record; KeyError if it is not in it."""
        entry = self.find(number)
        if entry is None:
            raise KeyError(number)
        self.entries.remove(entry)
        return entry

    def drop_from(self, number: int) -> list[Entry]:
        """Take input ``number`` and every later one out of the record; return them."""
        kept = [entry for entry in self.entries if entry.number < number]
        dropped = self.entries[len(kept):]
        self.entries = kept
        return dropped

    def replay(
        self,
        kernel: KernelClient,
        progress: Callable[[int, int, int], None],
        interrupted: Callable[[], bool],
        on_reply: Callable[[protocol.RunReply], None],
        after: int = 0,
        on_start: Callable[[int], None] | None = None,
        started: float | None = None,
    ) -> ReplayOutcome:
        """Run the successful inputs numbered above ``after`` again in ``kernel``.

        Stops at the first failure; the caller takes that input and the rest
        out of the record, and names them in ``outcome.left_out``.  ``progress`` is told (done, total,
        number) and ``on_start`` the number of each input before it runs;
        ``started`` is when the restart began, if the time to report should
        include more than the replay.
        """
        todo = [entry for entry in self.entries if entry.ok and entry.number > after]
        started = time.monotonic() if started is None else started
        first = self.entries[0].number if self.entries else self.next_number
        outcome = ReplayOutcome(0, len(todo), 0.0, first=first)
        for done, entry in enumerate(todo):
            progress(done + 1, len(todo), entry.number)
            if on_start is not None:
                on_start(entry.number)
            reply = kernel.run(entry.source, replay=True, block=entry.block,
                               position=entry.number - 1)
            on_reply(reply)
            if interrupted() or not reply.ok:
                outcome.failed_at, outcome.failed_source = entry.number, entry.source
                outcome.error = reply.error
                outcome.interrupted = interrupted()
                break
            outcome.replayed += 1
        outcome.seconds = time.monotonic() - started
        return outcome
