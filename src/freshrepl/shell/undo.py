"""What ``:undo`` says: which inputs it undid and how the kernel got back to before them.

The kernel is resumed from the checkpoint that stands right before the first
undone input (nothing re-run), else from the nearest earlier one or a fresh
kernel with the inputs between replayed; the summary says which.
"""

from __future__ import annotations

from freshrepl.shell.session import Entry, ReplayOutcome


def undo_summary(number: int, undone: list[Entry], outcome: ReplayOutcome) -> str:
    """The line after ``:undo``: inputs ``number``… (``undone``) left the record, and how."""
    label = _label(number, undone)
    if outcome.failed_at is not None:
        return f"undid {label}; {outcome.summary()}"
    replayed = outcome.total
    plural = "" if replayed == 1 else "s"
    if outcome.resumed_at == number - 1:
        return f"undid {label}: the kernel is as it was before it (from a checkpoint, nothing re-run)"
    if outcome.resumed_at is not None:
        where = f"after input {outcome.resumed_at}" if outcome.resumed_at else "before input 1"
        return (f"undid {label}: no checkpoint right before it; resumed the one {where} and "
                f"replayed {replayed} input{plural} in {outcome.seconds:.2f} s")
    return (f"undid {label}: no checkpoint before it; replayed {replayed} input{plural} "
            f"in a fresh kernel in {outcome.seconds:.2f} s")


def _label(number: int, undone: list[Entry]) -> str:
    if len(undone) == 1:
        first = undone[0].source.strip().splitlines()[0] if undone[0].source.strip() else ""
        return f"input {number} ({first})"
    return f"inputs {number}-{number + len(undone) - 1}"
