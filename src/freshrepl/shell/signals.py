"""The shell's signal handlers: Ctrl-C goes to the kernel's supervisor; SIGTERM and SIGHUP end cleanly."""

from __future__ import annotations

import os
import signal

from freshrepl.shell.terminal import write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType
    from typing import Protocol

    from freshrepl.shell.supervisor import KernelSupervisor
    from freshrepl.shell.terminal import Terminal

    class SignalledShell(Protocol):
        """What the handlers touch of the shell (``loop.Shell``)."""

        kernel: KernelSupervisor | None
        terminal: Terminal

        def write_history(self) -> None: ...


def install_signal_handlers(shell: SignalledShell) -> None:
    """Installed once the kernel is spawned (signal loads enum, which costs start-up time)."""

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if shell.kernel is not None:
            shell.kernel.note_interrupt()

    def on_terminate(signum: int, frame: FrameType | None) -> None:
        # On a hang-up the job shell may already have taken the terminal back: touching
        # it from the background must not stop us (SIGTTOU) on the way out.
        for stop in (signal.SIGTTOU, signal.SIGTTIN, signal.SIGTSTP):
            signal.signal(stop, signal.SIG_IGN)
        try:
            shell.write_history()  # an input accepted a moment ago is kept
        except Exception:
            pass  # never a traceback on the way out
        if shell.kernel is not None:
            shell.kernel.close()
        shell.terminal.restore()
        try:
            write("\x1b[?2004l\x1b[?25h\n")  # bracketed paste off, cursor shown
        except OSError:
            pass  # the terminal is gone (SIGHUP)
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, on_sigint)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_terminate)
