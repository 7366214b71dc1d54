"""The interactive shell's prompt loop: read an input, dispatch it, print notices and offers.

Start-up order is chosen for speed: the banner and a first ``>>> `` are
written before anything heavy is imported, keys typed meanwhile are held in
the terminal's queue, the kernel is spawned, and prompt_toolkit is loaded in
a thread while simple lines typed at that prompt run at once (``early.py``);
the editor picks up the other held keys as if it had been reading all along.

The loop leans on three pieces: the ``KernelSupervisor`` (the kernel's life
cycle and the session record), ``LiveReload`` (what to reload, when) and the
``Editor`` (prompt_toolkit).
"""

from __future__ import annotations

import gc
import os
import sys
import time

from freshrepl import __version__, protocol
from freshrepl.shell.options import Options
from freshrepl.shell.terminal import Terminal, write

# Up to the kernel's spawn every import delays the first result: typing and
# signal (enum) load after it, while the kernel starts on the other core.
TYPE_CHECKING = False
if TYPE_CHECKING:

    from prompt_toolkit.document import Document

    from freshrepl.shell.editor import Editor
    from freshrepl.shell.kernel_process import Preforked
    from freshrepl.shell.live_reload import LiveReload
    from freshrepl.shell.supervisor import KernelSupervisor



def run(options: Options, first_kernel: Preforked | None = None) -> int:
    """Run an interactive session; return the exit status."""
    shell = Shell(options, first_kernel)
    try:
        return shell.main()
    except BaseException as exc:  # the shell never dies with a traceback of its own
        from freshrepl.shell.crashlog import report_crash

        return report_crash(exc, shell.terminal)
    finally:
        shell.close()


class ShellExit(Exception):
    """Leave the shell with ``status``."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Shell:
    """One interactive session: the loop over a supervisor, a live-reload policy and an editor."""

    def __init__(self, options: Options, first_kernel: Preforked | None = None) -> None:
        self.options = options
        self._first_kernel = first_kernel  # forked at start-up, if it could be
        self.terminal = Terminal()
        self.kernel: KernelSupervisor | None = None
        self.live: LiveReload | None = None
        self.editor: Editor | None = None
        # Warnings raised while the editor draws (history loads in its thread):
        # printed above the next prompt, never into the one being drawn.
        self.warnings: list[str] = []
        # The kernel's news of imported and dropped modules, followed once the
        # next prompt is up (watching thousands of new files takes a while):
        # see live_reload(), which every use of the live-reload policy goes through.
        self._deltas: list[protocol.ModuleDelta] = []
        self._reading = False  # the loop's editor reads the inputs (not the early prompt)

    # -- start and stop --------------------------------------------------------

    def main(self) -> int:
        early = _can_show_early_prompt(self.options, self.terminal)
        if not self.options.quiet:
            write(_banner())
        for warning in filter(None, [self.options.config_warning, *self.options.environment_warnings]):
            _tell(self.terminal, f"freshrepl: warning: {warning}")
        if early:
            self.terminal.hold_input()  # first: keys typed on seeing the prompt are held
            # Bracketed paste on from the first prompt: a block pasted before the
            # editor has loaded must arrive marked as a paste, not as typed lines.
            write(">>> \x1b[?2004h")
        self._start_kernel()
        # After the spawn (see above); the held terminal does not signal Ctrl-C meanwhile.
        from freshrepl.shell.signals import install_signal_handlers

        install_signal_handlers(self)
        try:
            if early:
                from freshrepl.shell.early import run_typed_ahead

                run_typed_ahead(self)
                # The prompt on screen is the first read's; keys stay held until
                # the editor reads them (no moment when the terminal echoes them).
                if not self.loaded_editor().adopt_prompt(self.terminal.mode_found):
                    self.terminal.restore()
                    write("\r\x1b[K")
            else:
                self.load_editor()
                self.supervisor().wait_ready()
            # Everything loaded so far lives as long as the shell: the collector
            # need not look at it again (pauses while typing stay short).
            gc.freeze()
            self._loop()
        except ShellExit as done:
            return done.status
        return 0

    def close(self) -> None:
        self.write_history()
        if self.live is not None:
            self.live.stop()
        if self.kernel is not None:
            self.kernel.close()
        self.terminal.restore()

    def _start_kernel(self) -> None:
        from freshrepl.shell.supervisor import KernelSupervisor

        self.kernel = KernelSupervisor(
            self.options, self.terminal, on_modules=self._deltas.append,
            on_new_kernel=lambda: self.live_reload().forget_modules(), first_kernel=self._first_kernel,
        )
        self.kernel.start(on_exit=self._wake_editor)
        # After the spawn: the kernel starts while the rest of the shell loads.
        from freshrepl.shell.live_reload import LiveReload

        self.live = LiveReload(self.options.watch, on_change=self._on_file_change)

    def load_editor(self) -> None:
        _keep_openssl_out()
        from freshrepl.shell.completion import KernelCompleter
        from freshrepl.shell.editor import Editor
        from freshrepl.shell.history import SafeFileHistory, history_path
        from freshrepl.shell.kernel_help import KernelHelp

        options = self.options
        history = SafeFileHistory(history_path(), warn=self.warn, limit=options.history_size)
        self.editor = Editor(
            history, KernelCompleter(self.supervisor().client), options.color,
            before_read=self._before_read,
            vi_mode=options.vi_mode, suggestions=options.suggestions,
            complete_while_typing=options.complete_while_typing,
            color_scheme=options.color_scheme, kernel_help=KernelHelp(self.supervisor()),
            page=self.terminal.page,
        )

    # -- the loop ---------------------------------------------------------------

    def _loop(self) -> None:
        from freshrepl.shell.editor import Woken

        kernel = self.supervisor()
        document: Document | str = ""
        self._reading = True
        while True:
            _show_warnings(self)
            # What a wake-up kept is shown once: Ctrl-C on it must leave an empty line.
            keep, document = document, ""
            try:
                # The input runs (``dispatch``) as soon as the editor has drawn it
                # as entered; the next prompt is then already on screen.
                self.loaded_editor().read(keep, on_submit=self.dispatch)
            except Woken as woken:
                document = woken.document
                if not kernel.dead and not kernel.client.alive():
                    kernel.died(kernel.client.exit_reason)
                else:
                    self.apply_pending_changes(sync=False)
                continue
            except KeyboardInterrupt:
                write("KeyboardInterrupt\n")
                continue
            except EOFError:
                if self._confirm_exit():
                    self.quit()

    def dispatch(self, text: str) -> None:
        """Run one accepted input: a meta-command or Python for the kernel."""
        from freshrepl.shell.commands import is_command, run_command

        # From here the terminal sends Ctrl-C as a signal: one pressed before the kernel
        # takes the input up (a reload first) still interrupts it.
        since = time.monotonic()
        self.terminal.restore()  # the editor may still hold the terminal in its own mode
        if self.editor is not None:
            self.editor.give_back_keys()  # typed after the Enter: for the code's input(), or the next prompt
        try:
            if not text.strip():
                return
            if is_command(text):
                self.write_history()  # a command may end the shell or the kernel
                run_command(text, self)
            else:
                self._run_input(text, since)
        finally:
            self.write_history()  # if it was not written while the input ran

    def write_history(self) -> None:
        """The accepted inputs not yet in the history file go there (also from signal handlers)."""
        if self.editor is not None:
            from freshrepl.shell.history import write_pending

            write_pending(self.editor.session.history)

    def _confirm_exit(self) -> bool:
        """Ctrl-D leaves; with ``confirm_exit`` only once the user says so (a second Ctrl-D does)."""
        if not self.options.confirm_exit:
            return True
        return self.terminal.ask_yes_no("Leave freshrepl? [Y/n]", default=True, eof=True)

    def _before_read(self) -> None:
        """Called once the editor is up: catch changes (and a kernel's end) that came in between."""
        kernel = self.supervisor()
        kernel.checkpoints.settle()  # the prompt is up: checkpoints' memory is measured now
        if self.live_reload().has_pending() or (not kernel.dead and not kernel.client.alive()):
            self._wake_editor()

    def _run_input(self, text: str, since: float) -> None:
        from freshrepl.shell.commands import NO_KERNEL

        kernel = self.supervisor()
        if kernel.dead:
            self.say(NO_KERNEL)
            return
        # A kernel that runs start-up code may import user modules the watcher must
        # know before this input; one that runs none gets the input while it starts.
        if not kernel.client.ready and self.options.runs_startup_code and not kernel.wait_ready():
            return
        reported = self.apply_pending_changes(sync=True)
        if kernel.dead:
            return
        if reported:  # a question about a reload may have left the terminal in its own mode
            self.terminal.restore()
        # The history file is written while the kernel runs the input, not before.
        reply = kernel.run(text, block=self.editor is not None and self.editor.pasted,
                           on_sent=self.write_history, since=since)
        if reply is None:
            return
        if reply.exit is not None:
            kernel.client.wait_exit()
            raise ShellExit(reply.exit)
        if self._reading:  # one write with the next ``>>> `` (show_prompt)
            self.loaded_editor().prompt_prefix += self.terminal.output_line_end()
        else:  # typed ahead: the early prompt follows
            self.terminal.finish_output_line()

    # -- reloading --------------------------------------------------------------

    def _wake_editor(self) -> None:
        # From another thread (the watcher, the kernel's exit): the loop looks at once.
        if self.editor is not None:
            self.editor.wake()

    def _on_file_change(self) -> None:
        if self.live is not None and self.live.auto:
            self._wake_editor()

    def apply_pending_changes(self, sync: bool) -> bool:
        """Reload what changed and report it; False when there was nothing to say."""
        return _apply_pending_changes(self, sync)

    def report(self, results: list[protocol.ReloadResult]) -> None:
        """One notice per result; an unsafe change leads to the restart offer."""
        _report(self, results)

    # -- what the meta-commands use (see commands.py) ----------------------------

    def quit(self) -> None:
        if self.kernel is not None:
            self.kernel.shutdown()
        raise ShellExit(0)

    def say(self, text: str) -> None:
        _tell(self.terminal, text)  # a meta-command's answer: broken between words too

    def warn(self, text: str) -> None:
        """From any thread: shown above the prompt (at once if the editor is up)."""
        self.warnings.append(text)
        self._wake_editor()

    # -- the parts, once started ---------------------------------------------------

    def supervisor(self) -> KernelSupervisor:
        assert self.kernel is not None, "the kernel is started first"
        return self.kernel

    def live_reload(self) -> LiveReload:
        assert self.live is not None, "started with the kernel"
        while self._deltas:
            self.live.track(self._deltas.pop(0))
        return self.live

    def loaded_editor(self) -> Editor:
        assert self.editor is not None, "loaded before the loop"
        return self.editor


def _show_warnings(shell: Shell) -> None:
    """Queued warnings, and once the watcher's fall-back to polling (inotify limit)."""
    warning = shell.live_reload().take_watch_warning()
    if warning:
        shell.warnings.append(warning)
    if shell.warnings:
        shell.loaded_editor().hide_prompt()
    while shell.warnings:
        _tell(shell.terminal, f"freshrepl: warning: {shell.warnings.pop(0)}")


def _apply_pending_changes(shell: Shell, sync: bool) -> bool:
    from freshrepl.shell.kernel_client import KernelDied

    kernel = shell.supervisor()
    if kernel.dead:
        return False  # the changes wait for the next kernel, which compares every module
    try:
        results = shell.live_reload().check(kernel.client, sync)
    except KernelDied as died:
        kernel.died(str(died))
        return True
    shell.report(results)
    return bool(results)


def _report(shell: Shell, results: list[protocol.ReloadResult]) -> None:
    from freshrepl.shell.notices import notice

    for result in results:
        write(notice(result, shell.options.color, _wrap_width(shell.terminal)) + "\n")
    unsafe = [r for r in results if r.status == protocol.UNSAFE]
    if unsafe:
        shell.supervisor().offer_restart_after_unsafe(unsafe, shell.options.on_unsafe)


def _tell(terminal: Terminal, text: str) -> None:
    """A notice or warning: broken between words at the terminal's width (see wrap.py)."""
    from freshrepl.shell.wrap import wrap

    write(wrap(text, _wrap_width(terminal)) + "\n")


def _wrap_width(terminal: Terminal) -> int:
    return terminal.columns() if terminal.is_tty else 0


def _can_show_early_prompt(options: Options, terminal: Terminal) -> bool:
    return (
        terminal.is_tty
        and not options.runs_startup_code
        and os.path.realpath(options.python) == os.path.realpath(sys.executable)
    )


def _banner() -> str:
    return (
        f"Python {sys.version.split()[0]} on {sys.platform} · freshrepl {__version__}\n"
        "Edited modules reload in place. Type :help for commands.\n"
    )


def _keep_openssl_out() -> None:
    """The shell never needs OpenSSL: keep it out (3.5 MiB of resident memory).

    asyncio (under prompt_toolkit) imports ``ssl`` if it can, and wcwidth
    reaches ``hashlib`` through ``secrets``; both work without it (hashlib
    falls back to its built-in hashes).  User code runs in the kernel, which
    is a process of its own and unaffected.
    """
    for name in ("ssl", "_ssl", "_hashlib"):
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
