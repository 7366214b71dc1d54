"""The interactive shell: the prompt loop, reload notices, and the restart offers.

Start-up order is chosen for speed: the banner and a first ``>>> `` are
written before anything heavy is imported, keys typed meanwhile are held in
the terminal's queue, the kernel is spawned, and only then is prompt_toolkit
loaded; it picks the held keys up as if it had been reading all along.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

from freshrepl import __version__, protocol
from freshrepl.shell.options import Options
from freshrepl.shell.terminal import Terminal, write


def run(options: Options) -> int:
    """Run an interactive session; return the exit status."""
    shell = Shell(options)
    try:
        return shell.main()
    except BaseException as exc:  # the shell never dies with a traceback of its own
        return shell.crash(exc)
    finally:
        shell.close()


class ShellExit(Exception):
    """Leave the shell with ``status``."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Shell:
    """One interactive session: a kernel, an editor, a watcher and the record."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.terminal = Terminal()
        self.auto = True
        self.kernel: Any = None
        self.editor: Any = None
        self.watcher: Any = None
        self.watch_table: Any = None
        self.record: Any = None
        self.kernel_dead = False
        self._interrupts: list[float] = []
        # Files to compare at the next check besides the watcher's: saves seen while
        # reloading was off, and newly imported modules (an edit made between their
        # import and the watcher's first look is caught by comparing them once).
        self._to_check: set[str] = set()
        # Warnings raised while the editor draws (history loads in its thread):
        # printed above the next prompt, never into the one being drawn.
        self._warnings: list[str] = []

    # -- start and stop --------------------------------------------------------

    def main(self) -> int:
        self._install_signal_handlers()
        early = self._can_show_early_prompt()
        if not self.options.quiet:
            write(self._banner())
        if early:
            write(">>> ")
            self.terminal.hold_input()
        self._start_kernel()
        self._load_editor()
        if early:
            self.terminal.restore()
            write("\r\x1b[K")
        else:
            self._wait_for_kernel()
        try:
            self._loop()
        except ShellExit as done:
            return done.status
        return 0

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.kernel is not None:
            self.kernel.on_exit = None
            self.kernel.kill()
        self.terminal.restore()

    def crash(self, exc: BaseException) -> int:
        """An internal error: one line for the user, the details in a log file."""
        import traceback

        log = os.path.join(
            os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"),
            "freshrepl", "crash.log",
        )
        try:
            os.makedirs(os.path.dirname(log), exist_ok=True)
            with open(log, "a") as f:
                f.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
            where = f"; details in {log}"
        except OSError:
            where = ""
        self.terminal.restore()
        write(f"\nfreshrepl: internal error: {exc!r}{where}\n")
        return 1

    def _can_show_early_prompt(self) -> bool:
        return (
            self.terminal.is_tty
            and not self.options.run_kind
            and not os.environ.get("PYTHONSTARTUP")
            and os.path.realpath(self.options.python) == os.path.realpath(sys.executable)
        )

    def _banner(self) -> str:
        return (
            f"Python {sys.version.split()[0]} on {sys.platform} · freshrepl {__version__}\n"
            "Edited modules reload in place. Type :help for commands.\n"
        )

    def _start_kernel(self) -> None:
        from freshrepl.shell.kernel_client import KernelClient
        from freshrepl.shell.notices import WatchTable
        from freshrepl.shell.session import SessionRecord

        self.kernel = KernelClient(self.options)
        self.kernel.on_exit = self._on_kernel_exit
        self.kernel.start()
        self.record = SessionRecord()
        self.watch_table = WatchTable()

    def _load_editor(self) -> None:
        from freshrepl.shell.completion import KernelCompleter
        from freshrepl.shell.editor import Editor
        from freshrepl.shell.history import SafeFileHistory, history_path

        history = SafeFileHistory(history_path(), warn=self.warn)
        self.editor = Editor(
            history, KernelCompleter(self.kernel), self.options.color, before_read=self._before_read
        )

    def _wait_for_kernel(self) -> bool:
        from freshrepl.shell.kernel_client import KernelDied

        try:
            self.kernel.wait_ready()
            self._handle_modules(self.kernel.modules())
        except KernelDied as died:
            self._kernel_died(str(died))
            return False
        return True

    def _install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self._on_sigint)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_terminate)

    def _on_sigint(self, signum: int, frame: Any) -> None:
        # The kernel shares our process group: it got the same Ctrl-C itself.
        self._interrupts.append(time.monotonic())

    def _on_terminate(self, signum: int, frame: Any) -> None:
        if self.kernel is not None:
            self.kernel.on_exit = None
            self.kernel.kill()
        self.terminal.restore()
        try:
            write("\x1b[?2004l\x1b[?25h\n")  # bracketed paste off, cursor shown
        except OSError:
            pass  # the terminal is gone (SIGHUP)
        os._exit(128 + signum)

    # -- the loop ---------------------------------------------------------------

    def _loop(self) -> None:
        from freshrepl.shell.commands import is_command, run_command
        from freshrepl.shell.editor import Woken

        document: Any = ""
        while True:
            self._show_warnings()
            try:
                text = self.editor.read(document)
                document = ""
            except Woken as woken:
                document = woken.document
                if not self.kernel_dead and not self.kernel.alive():
                    self._kernel_died(self.kernel.exit_reason)
                else:
                    self._apply_pending_changes(sync=False)
                continue
            except KeyboardInterrupt:
                write("KeyboardInterrupt\n")
                continue
            except EOFError:
                self.quit()
            if not text.strip():
                continue
            if is_command(text):
                run_command(text, self, self.auto)
            else:
                self._run_input(text)

    def _before_read(self) -> None:
        """Called once the editor is up: catch changes that arrived in between."""
        if self.watcher is not None and self.auto and self.watcher.has_pending():
            self.editor.wake()

    def _show_warnings(self) -> None:
        """Queued warnings, and once the watcher's fall-back to polling (inotify limit)."""
        if self.watcher is not None and self.watcher.notice:
            self._warnings.append(self.watcher.notice)
            self.watcher.notice = None
        while self._warnings:
            write(f"freshrepl: warning: {self._warnings.pop(0)}\n")

    def _run_input(self, text: str) -> None:
        from freshrepl.shell.kernel_client import KernelDied

        if self.kernel_dead:
            self.say("no kernel is running: type :restart to start a new one")
            return
        if not self.kernel.ready and not self._wait_for_kernel():
            return
        self._apply_pending_changes(sync=True)
        if self.kernel_dead:
            return
        self.terminal.restore()
        self._interrupts.clear()
        try:
            reply = self.kernel.run(text, on_wait=self._check_stuck)
        except KernelDied as died:
            self._kernel_died(str(died))
            return
        if reply.exit is not None:
            self.kernel.wait_exit()
            raise ShellExit(reply.exit)
        self._finish_output_line()
        self.record.add(text, reply.ok)
        self._handle_modules(reply.modules)

    def _finish_output_line(self) -> None:
        """Keep output that did not end in a newline (``print(x, end="")``) visible.

        The editor draws its prompt from column 0.  Writing one column less
        than the terminal's width and a carriage return moves to a new line
        only if the cursor was not already at column 0 (the text wraps).
        """
        if self.terminal.is_tty:
            write(" " * (self.terminal.columns() - 1) + "\r")

    def _check_stuck(self) -> None:
        """A kernel that ignores Ctrl-C is not a trap: a further Ctrl-C offers to kill it."""
        if len(self._interrupts) < 2 or time.monotonic() - self._interrupts[0] < 0.5:
            return
        self._interrupts.clear()
        write("\n")
        if self.terminal.ask_yes_no("The kernel is not responding to Ctrl-C. Kill it? [y/N]",
                                    default=False):
            self.kernel.kill()

    # -- reloading --------------------------------------------------------------

    def _handle_modules(self, delta: protocol.ModuleDelta) -> None:
        added, dropped = self.watch_table.apply_delta(delta)
        if not self.options.watch:
            return
        self._to_check.update(added)
        self._to_check.difference_update(dropped)
        if added and self.watcher is None:
            from freshrepl.watch.watcher import Watcher

            self.watcher = Watcher(on_change=self._on_file_change)
        if self.watcher is not None:
            if added:
                self.watcher.watch(added)
            if dropped:
                self.watcher.unwatch(dropped)

    def _on_kernel_exit(self) -> None:
        # At the prompt, say so at once; while an input runs, the request notices.
        if self.editor is not None:
            self.editor.wake()

    def _on_file_change(self) -> None:
        if self.auto and self.editor is not None:
            self.editor.wake()

    def _collect_saves(self, sync: bool) -> set[str]:
        """The files saved since last asked; they join what the next check compares."""
        if self.watcher is None:
            return set()
        if sync:
            self.watcher.sync()
        saved = self.watcher.take_pending()
        self._to_check |= saved
        return saved

    def _apply_pending_changes(self, sync: bool) -> None:
        if self.watcher is None:
            return
        saved = self._collect_saves(sync)
        if not self.auto:
            self.watch_table.mark_changed(saved)
            return
        paths, self._to_check = self._to_check, set()
        if paths:
            self._reload(sorted(paths), [])

    def _reload(self, paths: list[str] | None, names: list[str]) -> bool:
        """Ask the kernel to reload; print the notices.  False if nothing happened."""
        from freshrepl.shell.kernel_client import KernelDied
        from freshrepl.shell.notices import notice

        try:
            reply = self.kernel.reload(paths, names)
        except KernelDied as died:
            self._kernel_died(str(died))
            return True
        results = reply.results
        for result in results:
            if result.path:
                self.watch_table.record(result)
            write(notice(result, self.options.color) + "\n")
        self._handle_modules(reply.modules)
        if any(r.status == protocol.UNSAFE for r in results):
            self._offer_restart_after_unsafe()
        return bool(results)

    def _offer_restart_after_unsafe(self) -> None:
        choice = self.options.on_unsafe
        if choice == "keep":
            return
        if choice == "ask" and not self._ask_restart():
            return
        self.restart(replay=True)

    def _ask_restart(self) -> bool:
        count = self.record.successful_count()
        plural = "" if count == 1 else "s"
        return self.terminal.ask_yes_no(f"Restart the kernel and replay {count} input{plural}? [Y/n]")

    def _kernel_died(self, how: str) -> None:
        write(f"\nkernel died ({how})\n")
        self.kernel.kill()
        self.kernel_dead = True
        if self._ask_restart():
            self.restart(replay=True)

    # -- meta-command actions (see commands.py) ----------------------------------

    def reload_now(self, names: list[str]) -> None:
        if self.kernel_dead:
            self.say("no kernel is running: type :restart to start a new one")
            return
        self._collect_saves(sync=True)
        # Without names, compare every module (the watcher may be off or behind).
        paths = sorted(self._to_check) if names else None
        self._to_check = set()
        if not self._reload(paths, names):
            self.say("nothing to reload: every module matches its file")

    def restart(self, replay: bool) -> None:
        from freshrepl.shell.kernel_client import KernelDied

        self.kernel.kill()
        self.kernel_dead = False
        self.watch_table.modules.clear()
        self.kernel.start()
        if not self._wait_for_kernel():
            return
        if not replay:
            self.say("new kernel started; the namespace is empty")
            return
        self._interrupts.clear()
        try:
            outcome = self.record.replay(
                self.kernel,
                progress=lambda done, total: write(f"\rreplaying {done}/{total}…"),
                interrupted=lambda: bool(self._interrupts),
                on_reply=lambda reply: self._handle_modules(reply.modules),
            )
        except KernelDied as died:
            write("\r\x1b[K")
            self._kernel_died(str(died))
            return
        write("\r\x1b[K")
        if outcome.error and not outcome.interrupted:
            write(outcome.error)
        self.say(outcome.summary())

    def show_watch(self) -> None:
        self._apply_pending_changes(sync=True)
        self.say(self.watch_table.render())
        if not self.options.watch:
            self.say("(file watching is off: --no-watch; :reload checks every module)")
        elif not self.auto:
            self.say("(automatic reloading is off: :auto on)")

    def set_auto(self, on: bool) -> None:
        self.auto = on
        self.say(f"automatic reloading is {'on' if on else 'off'}")
        if on:
            self._apply_pending_changes(sync=True)

    def quit(self) -> None:
        if self.kernel is not None and not self.kernel_dead:
            self.kernel.shutdown()
        raise ShellExit(0)

    def say(self, text: str) -> None:
        write(text + "\n")

    def warn(self, text: str) -> None:
        """From any thread: shown above the prompt (at once if the editor is up)."""
        self._warnings.append(text)
        if self.editor is not None:
            self.editor.wake()
