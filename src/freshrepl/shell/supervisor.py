"""The kernel's life cycle as the shell sees it: start, death, restart with replay, stuck Ctrl-C.

The supervisor owns the ``KernelClient`` and the session record.  It talks to
the user only through the small ``Console`` interface it is given (one line
out, one yes/no question), so it can be driven without a terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from freshrepl import protocol
from freshrepl.shell.kernel_client import KernelClient, KernelDied
from freshrepl.shell.options import Options
from freshrepl.shell.session import SessionRecord

# A second Ctrl-C this long after the first, with the kernel still busy, offers to kill it.
STUCK_AFTER = 0.5


class Console(Protocol):
    """How the supervisor speaks to the user."""

    def write(self, text: str) -> None: ...
    def ask_yes_no(self, question: str, default: bool = True) -> bool: ...


class KernelSupervisor:
    """One kernel at a time, and what to do when it ends."""

    def __init__(self, options: Options, console: Console,
                 on_modules: Callable[[protocol.ModuleDelta], None],
                 on_new_kernel: Callable[[], None]) -> None:
        self.client = KernelClient(options)
        self.record = SessionRecord()
        self.dead = False  # died (or was killed) and not restarted
        self._console = console
        self._on_modules = on_modules  # the user modules a kernel imported or dropped
        self._on_new_kernel = on_new_kernel  # a restart: forget the old kernel's modules
        self._interrupts: list[float] = []

    # -- start ----------------------------------------------------------------------

    def start(self, on_exit: Callable[[], None]) -> None:
        """Spawn the kernel; it gets ready in parallel (``wait_ready``)."""
        self.client.on_exit = on_exit
        self.client.start()

    def wait_ready(self) -> bool:
        """Block until the kernel is up and its first modules are known; False if it died."""
        try:
            self.client.wait_ready()
            self._on_modules(self.client.modules())
        except KernelDied as died:
            self.died(str(died))
            return False
        return True

    # -- running inputs -----------------------------------------------------------------

    def run(self, text: str) -> protocol.RunReply | None:
        """Run one input and record it; None if the kernel died meanwhile (already told)."""
        self._interrupts.clear()
        try:
            reply = self.client.run(text, on_wait=self._check_stuck)
        except KernelDied as died:
            self.died(str(died))
            return None
        if reply.exit is None:
            self.record.add(text, reply.ok)
        self._on_modules(reply.modules)
        return reply

    def note_interrupt(self) -> None:
        """From the SIGINT handler: the kernel (same process group) got it too."""
        self._interrupts.append(time.monotonic())

    def _check_stuck(self) -> None:
        """A kernel that ignores Ctrl-C is not a trap: a further Ctrl-C offers to kill it."""
        if len(self._interrupts) < 2 or time.monotonic() - self._interrupts[0] < STUCK_AFTER:
            return
        self._interrupts.clear()
        self._console.write("\n")
        if self._console.ask_yes_no("The kernel is not responding to Ctrl-C. Kill it? [y/N]",
                                    default=False):
            self.client.kill()

    # -- death and restart ------------------------------------------------------------

    def died(self, how: str | None) -> None:
        """Say how the kernel ended and offer a restart."""
        self._console.write(f"\nkernel died ({how})\n")
        self.client.kill()
        self.dead = True
        if self.ask_restart():
            self.restart(replay=True)

    def ask_restart(self) -> bool:
        count = self.record.successful_count()
        plural = "" if count == 1 else "s"
        return self._console.ask_yes_no(f"Restart the kernel and replay {count} input{plural}? [Y/n]")

    def restart(self, replay: bool) -> None:
        """A new kernel; with ``replay``, the record's successful inputs run again."""
        self.client.kill()
        self.dead = False
        self._on_new_kernel()
        self.client.start()
        if not self.wait_ready():
            return
        if not replay:
            self._console.write("new kernel started; the namespace is empty\n")
            return
        self._interrupts.clear()
        write = self._console.write
        try:
            outcome = self.record.replay(
                self.client,
                progress=lambda done, total: write(f"\rreplaying {done}/{total}…"),
                interrupted=lambda: bool(self._interrupts),
                on_reply=lambda reply: self._on_modules(reply.modules),
            )
        except KernelDied as died:
            write("\r\x1b[K")
            self.died(str(died))
            return
        write("\r\x1b[K")
        if outcome.error and not outcome.interrupted:
            write(outcome.error)
        write(outcome.summary() + "\n")

    def shutdown(self) -> None:
        """Leave: let a live kernel exit by itself (its atexit handlers run)."""
        if not self.dead:
            self.client.shutdown()

    def close(self) -> None:
        self.client.on_exit = None
        self.client.kill()
