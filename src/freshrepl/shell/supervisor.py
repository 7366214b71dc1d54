"""The kernel's life cycle as the shell sees it: start, death, restart with replay, stuck Ctrl-C.

The supervisor owns the ``KernelClient``, the session record and the
checkpoints.  A restart resumes the best checkpoint (``CheckpointStore.choose``)
and replays the inputs after it, or starts a fresh kernel and replays them
all.  It talks to the user only through the small ``Dialog`` interface it is
given (one line out, one yes/no question), so it can be driven without a
terminal.
"""

from __future__ import annotations

import os
import sys
import time

from freshrepl import protocol
from freshrepl.process import become_subreaper
from freshrepl.shell.checkpoint_store import CheckpointSettings, CheckpointStore, reap_orphans
from freshrepl.shell.kernel_client import KernelClient, KernelDied
from freshrepl.shell.notices import stale_notice
from freshrepl.shell.options import Options
from freshrepl.shell.resume import resume_best, try_checkpoints
from freshrepl.shell.session import (
    Entry,
    ReplayOutcome,
    SessionRecord,
    left_out_note,
    render_record,
    restart_question,
)

TYPE_CHECKING = False  # typing and socket load after the kernel's spawn (loop.py)
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable
    from typing import Protocol

    from freshrepl.shell.kernel_process import Preforked

    class Dialog(Protocol):
        """How the supervisor speaks to the user."""

        def write(self, text: str) -> None: ...
        def ask_yes_no(self, question: str, default: bool = True) -> bool: ...

_NO_SUBREAPER = "the shell cannot adopt processes here (Linux only)"

# A second Ctrl-C this long after the first, with the kernel still busy, offers to kill it.
STUCK_AFTER = 0.5


class KernelSupervisor:
    """One kernel at a time, and what to do when it ends."""

    def __init__(self, options: Options, dialog: Dialog,
                 on_modules: Callable[[protocol.ModuleDelta], None],
                 on_new_kernel: Callable[[], None], first_kernel: Preforked | None = None) -> None:
        self.client = KernelClient(options, first_kernel)
        self.record = SessionRecord()
        self.dead = False  # died (or was killed) and not restarted
        settings = CheckpointSettings(options.checkpoints, float(options.checkpoint_memory_mb),
                                      options.checkpoint_after_ms / 1000, options.undo_checkpoints)
        self._fresh_by_default = options.restart_from == "fresh"
        self.checkpoints = CheckpointStore(settings)
        # The number of the input running now (checkpoints are placed by it).
        self._running: int | None = None
        # False while the kernel holds an input dropped from the record: no checkpoints.
        self._on_record = True
        self._dialog = dialog
        self._on_modules = on_modules  # the user modules a kernel imported or dropped
        self._on_new_kernel = on_new_kernel  # a restart: forget the old kernel's modules
        self._interrupts = Interrupts(dialog, kill=lambda: self.client.kill())
        self._told: set[str] = set()  # reasons for no checkpoint the user was told of

    # -- start ----------------------------------------------------------------------

    def start(self, on_exit: Callable[[], None]) -> None:
        """Spawn the kernel; it gets ready in parallel (``wait_ready``)."""
        self.client.process.on_exit = on_exit
        subreaper = self.checkpoints.settings.keep > 0 and sys.platform.startswith("linux")
        if subreaper:
            self.client.checkpoint_after = self.checkpoints.settings.after
            self.client.checkpoint_idle = self.checkpoints.settings.undo_keep > 0
        elif self.checkpoints.settings.keep > 0:
            self.checkpoints.unavailable = _NO_SUBREAPER
        self.client.start()
        # After the spawn (ctypes takes a while): the kernel forks no checkpoint
        # before its first input, and only orphans need the shell to adopt them.
        if subreaper and not become_subreaper():
            self.checkpoints.unavailable = _NO_SUBREAPER

    def wait_ready(self) -> bool:
        """Block until the kernel is up and its first modules are known; False if it died."""
        try:
            if not self.client.ready:
                self.client.wait_ready()
            self._on_modules(self.client.modules())
        except KernelDied as died:
            self.died(str(died))
            return False
        return True

    # -- running inputs -----------------------------------------------------------------

    def run(self, text: str, block: bool = False, rerun_of: int | None = None,
            on_sent: Callable[[], None] | None = None, since: float | None = None,
            ) -> protocol.RunReply | None:
        """Run one input (``block``: pasted) and record it; None if the kernel died meanwhile.
        ``rerun_of``: the record's input of that number, again (``:rerun``): not recorded
        anew, and a checkpoint taken meanwhile stands at no position of the record.
        ``on_sent``: called once it is on its way.  ``since``: see ``RunRequest``."""
        self._interrupts.clear(before=since)
        self._running = self.record.next_number
        on_record, self._on_record = self._on_record, self._on_record and rerun_of is None
        number = self.record.next_number if rerun_of is None else rerun_of
        try:
            reply = self.client.run(text, on_wait=self._interrupts.check_stuck, block=block,
                                    position=number - 1, rerun=rerun_of is not None,
                                    on_sent=on_sent, since=since)
            self._collect_checkpoints()
        except KernelDied as died:
            if rerun_of is None:
                self.record.next_number += 1  # not recorded; its number stays its own
            self.died(str(died))
            return None
        finally:
            self._running = None
        self._on_record = on_record  # (after a death, the restart has said what it is)
        if reply.exit is None and rerun_of is None:
            self.record.add(text, reply.ok, block)
        self._on_modules(reply.modules)
        return reply

    def _collect_checkpoints(self) -> None:
        """Take in the checkpoints the kernel made around (and after) its inputs."""
        running = self._running

        def place(after: bool) -> int:
            # It stands at the number of the last input whose effects it holds.
            return (running if after and running is not None
                    else self.record.number_before(running or self.record.next_number))

        # One standing after inputs the record no longer holds (undone) is never used.
        newest = running if running is not None else self.record.last_number()
        take_checkpoints(self.client.inbox.take(), self.checkpoints, place,
                         newest if self._on_record else None, self._tell_once)

    @property
    def interrupted(self) -> bool:  # Ctrl-C came while the last input ran
        return self._interrupts.pressed()

    def _tell_once(self, line: str, reason: str) -> None:
        """Why checkpoints cannot be had, once per reason (a thread pool, CUDA, ...)."""
        if reason not in self._told:
            self._told.add(reason)
            self._dialog.write(f"freshrepl: {line}\n")

    def note_interrupt(self) -> None:
        """From the SIGINT handler: the kernel (same process group) got it too."""
        self._interrupts.note()

    # -- death and restart ------------------------------------------------------------

    def died(self, how: str | None, note: str = "") -> None:
        """Say how the kernel ended (and ``note``) and offer a restart."""
        # The input that killed it is not replayed, nor resumed after.
        running = self._running
        killer = f" in input {running}, which is not replayed" if running is not None else ""
        self._dialog.write(f"\nkernel died ({how}){killer}\n{note}")
        limit = self.record.last_number() if running is None else self.record.number_before(running)
        self._collect_checkpoints()
        self._running = None
        self.client.kill()
        self.dead = True
        if self.ask_restart():
            self.restart(replay=True, limit=limit)

    def ask_restart(self) -> bool:
        return self._dialog.ask_yes_no(restart_question(self.record))

    def offer_restart_after_unsafe(self, unsafe: list[protocol.ReloadResult], choice: str) -> None:
        """An edit could not be applied in place: keep the old code, ask, or restart (``on_unsafe``)."""
        if choice == "restart" or (choice == "ask" and self.ask_restart()):
            self.restart(replay=True)
        else:  # declined: what stays stale, and how to apply it later
            self._dialog.write(stale_notice(unsafe) + "\n")

    def forget_from(self, number: int) -> list[Entry]:
        """Inputs ``number`` and later out of the record, and the checkpoints holding them."""
        self._collect_checkpoints()
        self.checkpoints.drop_from(number)
        return self.record.drop_from(number)

    def forget(self, number: int) -> tuple[Entry, int]:
        """``:drop N``: input ``number`` out of the record (KeyError if absent), the checkpoints
        holding it ended (how many); the live kernel keeps it, so it takes none till a restart."""
        entry = self.record.drop(number)
        self._on_record = False
        self._collect_checkpoints()
        return entry, self.checkpoints.drop_from(number)

    def restart(self, replay: bool, fresh: bool | None = None, limit: int | None = None,
                describe: Callable[[ReplayOutcome], str] | None = None) -> None:
        """A new kernel; with ``replay``, the record's successful inputs run again.

        Unless ``fresh``, the kernel is resumed from the best checkpoint that
        stands at input ``limit`` or before (default: the whole record), its
        changed files reloaded, and only the inputs after it are replayed (see
        session.py for the record).  ``describe`` words the summary line.
        """
        began = time.monotonic()
        self._collect_checkpoints()
        self.client.kill()
        self.client.inbox.drop()  # the old kernel's last words: its state is gone
        reap_orphans(keep=None)
        self.dead = False
        self._on_new_kernel()
        self._interrupts.clear()
        if limit is None:
            limit = self.record.last_number()
        resumed = None
        if fresh is None:
            fresh = self._fresh_by_default
        if replay and not fresh:
            resumed = resume_best(self.client, self.checkpoints, limit, self._dialog.write,
                                  self._on_modules)
        if resumed is None:
            self.client.start()
        self._on_record = True
        if not replay:  # before wait_ready: the new kernel's first checkpoint stands at 0
            self.forget_from(1)
            self.checkpoints.skipped = None  # a note about inputs no longer in the record
        if not self.wait_ready():
            return
        if not replay:
            self._dialog.write("new kernel started; the namespace and the record are empty\n")
            return
        self._replay(resumed, began, describe)

    def _replay(self, resumed: tuple[int, list[str]] | None, began: float,
                describe: Callable[[ReplayOutcome], str] | None) -> None:
        write = self._dialog.write
        resumed_at, reloaded = resumed if resumed is not None else (None, [])

        def on_start(number: int) -> None:
            self._running = number

        def on_reply(reply: protocol.RunReply) -> None:
            self._collect_checkpoints()
            self._on_modules(reply.modules)

        try:
            outcome = self.record.replay(
                self.client,
                progress=lambda done, total, number: write(
                    f"\rreplaying {done}/{total} (input {number})…"),
                interrupted=self._interrupts.pressed,
                on_reply=on_reply,
                after=resumed_at or 0,
                on_start=on_start,
                started=began if resumed_at is not None else None,
            )
        except KernelDied as died:  # a replayed input killed it: it and the rest leave the record
            out = [e for e in self.forget_from(self._running) if e.ok] if self._running else []
            self._running = None
            write("\r\x1b[K")
            self.died(str(died), f"replay stopped at input {out[0].number} ({out[0].headline()}), "
                                 f"which killed the kernel{left_out_note(out)}\n" if out else "")
            return
        finally:
            self._running = None
        outcome.resumed_at = resumed_at
        if outcome.failed_at is not None:
            # The kernel holds the inputs before it: the rest leave the record.
            outcome.left_out = [e for e in self.forget_from(outcome.failed_at) if e.ok]
        write("\r\x1b[K")
        if outcome.error and not outcome.interrupted:
            write(outcome.error)
        if reloaded:
            write(f"reloaded in the checkpoint: {', '.join(os.path.basename(p) for p in reloaded)}\n")
        write((describe or ReplayOutcome.summary)(outcome) + "\n")

    def shutdown(self) -> None:
        """Leave: let a live kernel exit by itself (its atexit handlers run)."""
        if not self.dead:
            self.client.shutdown()

    def close(self) -> None:
        self.client.process.on_exit = None
        self.client.kill()
        self.checkpoints.clear()

    def show_checkpoints(self, clear: bool) -> str:
        """``:checkpoints [clear]``: the table, or end every checkpoint now."""
        self._collect_checkpoints()
        if not clear:
            try_checkpoints(self.checkpoints, self.client.options, self.client.checkpoint_after)
            return self.checkpoints.render()
        count = len(self.checkpoints.items)
        self.checkpoints.clear()
        return f"dropped {count} checkpoint{'' if count == 1 else 's'}"


def take_checkpoints(messages: list[tuple[protocol.Checkpointing, list[int]]],
                     checkpoints: CheckpointStore, place: Callable[[bool], int],
                     newest: int | None, tell: Callable[[str, str], None]) -> None:
    """Keep the checkpoints announced in ``messages`` (where they say they stand, else at
    ``place(after)``) that stand at input ``newest`` or before, or end them (``newest``
    None: the kernel is off the record); ``tell`` hears why one was not taken."""
    for message, fds in messages:
        at = message.position  # type: ignore[union-attr]  # ResumeRequest is never sent here
        if at < 0:  # a kernel that does not say: around the running input
            at = place(message.after)  # type: ignore[union-attr]
        usable = newest is not None and not checkpoints.unavailable and at <= newest
        if isinstance(message, protocol.CheckpointTaken) and len(fds) == 2 and usable:
            taken = _control_and_files(fds)
            if taken is not None:
                checkpoints.add(message.pid, *taken, position=at, why=message.why,
                                idle=message.idle, fork_ms=message.fork_ms)
            continue
        for fd in fds:
            os.close(fd)  # a checkpoint of a kernel off the record ends here
        if isinstance(message, protocol.CheckpointSkipped) and newest is not None:
            checkpoints.note_skipped(at, message.reason)
            tell(checkpoints.skipped or "", message.reason)
    checkpoints.enforce_budget()


def _control_and_files(fds: list[int]) -> tuple[socket.socket, str] | None:
    """A new checkpoint's control socket and listing of files, from the fds of its notice."""
    import socket

    from freshrepl.digests import read_listing

    control = socket.socket(fileno=fds[0])
    try:
        return control, read_listing(fds[1])
    except (OSError, UnicodeDecodeError):
        control.close()  # unknown code: never to be trusted; it exits
        return None


def record_listing(supervisor: KernelSupervisor) -> str:
    """``:record``: the inputs, whether each succeeded, and the checkpoints between them."""
    checkpoints = supervisor.checkpoints.items
    marks = [(c.position, f"checkpoint #{c.number} ({c.why})") for c in checkpoints]
    return render_record(supervisor.record, marks, holds_dropped=not supervisor._on_record)


class Interrupts:
    """Ctrl-C presses while the kernel is busy: a kernel that ignores them is not a trap."""

    def __init__(self, dialog: Dialog, kill: Callable[[], None]) -> None:
        self._presses: list[float] = []
        self._dialog = dialog
        self._kill = kill

    def note(self) -> None:
        self._presses.append(time.monotonic())

    def pressed(self) -> bool:
        return bool(self._presses)

    def clear(self, before: float | None = None) -> None:
        """Forget the presses (those before ``before``: one pressed for the next input counts)."""
        self._presses = [] if before is None else [t for t in self._presses if t >= before]

    def check_stuck(self) -> None:
        """A further Ctrl-C, a while after the first, offers to kill the kernel."""
        if len(self._presses) < 2 or time.monotonic() - self._presses[0] < STUCK_AFTER:
            return
        self._presses.clear()
        self._dialog.write("\n")
        if self._dialog.ask_yes_no("The kernel is not responding to Ctrl-C. Kill it? [y/N]",
                                    default=False):
            self._kill()
