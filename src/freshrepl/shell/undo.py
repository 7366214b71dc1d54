"""``:undo``: the kernel back to before an input, and what it says about how it got there.

The kernel is resumed from the checkpoint that stands right before the first
undone input (nothing re-run), else from the nearest earlier one or a fresh
kernel with the inputs between replayed; the summary says which.
"""

from __future__ import annotations

from freshrepl.shell.session import Entry, ReplayOutcome, span

TYPE_CHECKING = False  # typing loads after the kernel's spawn (loop.py)
if TYPE_CHECKING:
    from collections.abc import Callable

    from freshrepl.shell.supervisor import KernelSupervisor


def undo(kernel: KernelSupervisor, number: int | None, say: Callable[[str], None]) -> None:
    """``:undo [N]``: the kernel as it was before input N (default: the last one), and the
    record without N and what followed."""
    if not kernel.record.entries:
        say("nothing to undo: the record is empty")
        return
    number = kernel.record.last_number() if number is None else number
    if kernel.record.find(number) is None:
        say(f"input {number} is not in the record (:record lists it)")
        return
    before = kernel.record.number_before(number)
    undone = kernel.forget_from(number)
    kernel.restart(replay=True, limit=before,
                   describe=lambda outcome: undo_summary(undone, before, outcome))


def undo_summary(undone: list[Entry], before: int, outcome: ReplayOutcome) -> str:
    """The line after ``:undo``: ``undone`` left the record, and how the kernel got back to
    input ``before`` (the last one kept; 0: none)."""
    label = f"input {undone[0].number} ({undone[0].headline()})" if len(undone) == 1 \
        else f"inputs {span(undone)}"
    if outcome.failed_at is not None:
        return f"undid {label}; {outcome.summary()}"
    replayed = outcome.total
    plural = "" if replayed == 1 else "s"
    if outcome.resumed_at == before:
        return f"undid {label}: the kernel is as it was before it (from a checkpoint, nothing re-run)"
    if outcome.resumed_at is not None:
        where = f"after input {outcome.resumed_at}" if outcome.resumed_at else "before input 1"
        return (f"undid {label}: no checkpoint right before it; resumed the one {where} and "
                f"replayed {replayed} input{plural} in {outcome.seconds:.2f} s")
    return (f"undid {label}: no checkpoint before it; replayed {replayed} input{plural} "
            f"in a fresh kernel in {outcome.seconds:.2f} s")
