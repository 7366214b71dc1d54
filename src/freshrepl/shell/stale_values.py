"""Stale values in the shell: ``:stale`` lists them, ``:rerun`` runs the inputs that made them again.

The kernel keeps the ledger (``kernel/stale.py``); the shell asks for it and
runs the inputs it names in the live kernel, in record order, with their
output shown.  More than a few inputs, or inputs that took long before, are
run only once the user says so; the first that fails stops the rerun.
"""

from __future__ import annotations

import time

from freshrepl import protocol
from freshrepl.shell.kernel_client import KernelDied
from freshrepl.shell.notices import stale_table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from freshrepl.shell.supervisor import KernelSupervisor
    from freshrepl.shell.terminal import Terminal

    class ShellParts(Protocol):
        """What :rerun uses of the shell (commands.ShellParts has it)."""

        terminal: Terminal

        def supervisor(self) -> KernelSupervisor: ...
        def say(self, text: str) -> None: ...
        def quit(self) -> None: ...

# Rerun without asking at most this many inputs, which took at most this long together.
QUIET_INPUTS = 3
QUIET_SECONDS = 2.0


def ask_kernel(supervisor: KernelSupervisor) -> protocol.StaleReply | None:
    """The kernel's stale values; None if it died meanwhile (already told)."""
    try:
        return supervisor.client.stale()
    except KernelDied as died:
        supervisor.died(str(died))
        return None


def show_stale(supervisor: KernelSupervisor, say: Callable[[str], None]) -> None:
    reply = ask_kernel(supervisor)
    if reply is not None:
        say(stale_table(reply))


def rerun_question(inputs: list[protocol.StaleInput]) -> str | None:
    """The question to ask before rerunning ``inputs``, or None when it needs none."""
    seconds = sum(item.seconds for item in inputs)
    if len(inputs) <= QUIET_INPUTS and seconds <= QUIET_SECONDS:
        return None
    which = ", ".join(str(item.number) for item in inputs[:8]) + (" …" if len(inputs) > 8 else "")
    one = len(inputs) == 1
    return (f"Run {len(inputs)} input{'' if one else 's'} again (input{'' if one else 's'} {which}; "
            f"{'it' if one else 'they'} took {_duration(seconds)} before)? [Y/n]")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def rerun(shell: ShellParts) -> None:
    """``:rerun``: the inputs that made stale values, run again in record order."""
    supervisor, say = shell.supervisor(), shell.say
    reply = ask_kernel(supervisor)
    if reply is None:
        return
    if not reply.tracking or not reply.inputs:
        say(stale_table(reply))
        return
    question = rerun_question(reply.inputs)
    if question is not None and not shell.terminal.ask_yes_no(question):
        say("nothing was run again")
        return
    started = time.monotonic()
    for done, item in enumerate(reply.inputs):
        say(f"↻ input {item.number}: {item.first_line}")
        ran = _run_again(shell, item)
        if ran is None:  # the kernel died (told, restart offered)
            return
        if ran.kept:
            say(f"  kept {', '.join(ran.kept)}: made since by later inputs")
        if not ran.ok:
            why = "interrupted" if supervisor.interrupted else "which now fails"
            say(f"rerun stopped at input {item.number} ({item.first_line}), {why}; "
                f"{done} of {len(reply.inputs)} inputs ran again")
            return
    _say_done(supervisor, say, len(reply.inputs), time.monotonic() - started)


def _run_again(shell: ShellParts, item: protocol.StaleInput) -> protocol.RunReply | None:
    """One input again, its output shown as any input's; one that exits leaves the shell."""
    shell.terminal.restore()
    reply = shell.supervisor().run(item.source, rerun_of=item.number)
    if reply is not None and reply.exit is not None:
        shell.quit()
    shell.terminal.finish_output_line()
    return reply


def _say_done(supervisor: KernelSupervisor, say: Callable[[str], None], count: int,
              seconds: float) -> None:
    after = ask_kernel(supervisor)
    plural = "" if count == 1 else "s"
    left = ""
    if after is not None and after.values:
        left = "; still stale: " + ", ".join(v.name for v in after.values)
    say(f"ran {count} input{plural} again in {seconds:.2f} s{left or '; nothing is stale'}")

