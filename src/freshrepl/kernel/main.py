"""The kernel's request loop and start-up: answers the shell, runs the -i script and PYTHONSTARTUP.

The shell starts this module in a child interpreter (see ``shell/kernel_process.py``) that
shares the terminal: user output goes straight to fds 1 and 2 and ``input()``
reads fd 0.  Requests arrive on a private channel (``protocol.py``).  SIGINT is
ignored while the kernel waits for a request and raises ``KeyboardInterrupt``
only while user code runs, so a stray Ctrl-C can never tear a message apart.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback

from freshrepl import protocol
from freshrepl.channel import Channel
from freshrepl.kernel.console import KernelConsole, strip_own_frames
from freshrepl.kernel.help_desk import HelpDesk
from freshrepl.kernel.imports import load_shielded, without_user_path
from freshrepl.kernel.stale import StaleTracking
from freshrepl.process import flush_stdio, parent_death_signal, set_sigint_handler, watch_parent

# Everything imported here delays the first input's result: typing, runpy and
# ctypes (the parent-death signal) load when first needed or once idle.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any, Protocol

    class ServerHooks(Protocol):
        """What a plug-in of the server is told as it works (the checkpointer: checkpoints.py)."""

        def after_start(self, took: float) -> None:
            """Start-up (``-i`` script, PYTHONSTARTUP) is done; it took ``took`` seconds."""

        def before_run(self, request: protocol.RunRequest) -> None:
            """An input is about to run."""

        def after_run(self, reply: protocol.RunReply, took: float) -> None:
            """An input ran, in ``took`` seconds; ``reply`` is what the shell will get."""


# Seconds without a request before the kernel does start-up work it deferred.
IDLE_AFTER = 0.05
# Importing or comparing this many user modules is followed, once idle, by give_back_memory.
TRIM_AFTER_MODULES = 64
# Asked for as the user types: worthless once another request waits behind them
# (a newer one of theirs, or an input to run), so then answered empty at once.
SUPERSEDED_BY_NEXT: dict[type, Callable[[], protocol.Reply]] = {
    protocol.CompleteRequest: protocol.CompleteReply,
    protocol.SignatureRequest: protocol.SignatureReply,
}


class KernelServer:
    """The request loop and the state it serves."""

    def __init__(self, conn: Channel, config: protocol.KernelConfig) -> None:
        self.conn = conn
        self.config = config
        self.main = _fresh_main_module()
        self.console = KernelConsole(self.main.__dict__)
        self.reloader = _make_reloader(self.main)
        self.help = HelpDesk(self.main.__dict__, lambda: self.conn.poll(0))
        self.stale = StaleTracking.plug_into(self)  # the values old code made (a hook: first)
        # Told of the start-up and of every input (checkpoints.py's, when they are on).
        self.hooks: list[ServerHooks] = [self.stale]
        if config.color:
            self._color_output(config.color_style)
        # Start-up work no input needs: done while no request waits (see serve).
        self.idle: list[Callable[[], None]] = []

    def _color_output(self, style: str) -> None:
        """Results and tracebacks coloured on the terminal (pygments loads on first use)."""
        from freshrepl.kernel.display import Highlighter, make_displayhook

        highlighter = Highlighter(style)
        sys.displayhook = make_displayhook(highlighter)
        self.console.colorize = highlighter.traceback

    # -- start-up -------------------------------------------------------------

    def start(self) -> None:
        started = time.monotonic()
        self._start()
        took = time.monotonic() - started
        for hook in self.hooks:
            hook.after_start(took)

    def _start(self) -> None:
        sys.argv = list(self.config.argv or [""])
        # As in python3's interactive mode: code tests hasattr(sys, "ps1") to know
        # it is interactive (and readline, imported earlier, edits input() lines).
        sys.ps1, sys.ps2 = ">>> ", "... "
        startup = os.environ.get("PYTHONSTARTUP")
        if startup and os.path.isfile(startup) and not sys.flags.ignore_environment:
            self._run_startup_code(startup)
        kind = self.config.run_kind
        if kind:
            self._run_first(kind, self.config.run_target or "")

    def _run_startup_code(self, path: str) -> None:
        try:
            with open(path, "rb") as f:
                source = f.read()
            self._exec(compile(source, path, "exec"))
        except BaseException:
            self._report_startup_error()

    def _run_first(self, kind: str, target: str) -> None:
        """The ``-i`` forms: run the script, command or module as __main__."""
        try:
            if kind == "script":
                self._run_script(target)
            elif kind == "command":
                sys.path.insert(0, "")
                self._exec(compile(target, "<string>", "exec"))
            elif kind == "module":
                self._run_module(target)
        except BaseException:
            self._report_startup_error()

    def _run_script(self, path: str) -> None:
        sys.path.insert(0, os.path.dirname(os.path.realpath(path)))
        self.main.__dict__["__file__"] = path
        # A -x script's file is not Python as a whole, so it is not reloaded.
        if self.reloader is not None and not self.config.skip_first_line:
            self.reloader.track_main(path)
            source: str | bytes = self.reloader.main_source(path)
        else:
            with open(path, "rb") as f:
                source = f.read()
        if self.config.skip_first_line:
            source = _blank_first_line(source)
        self._exec(compile(source, path, "exec"))

    def _run_module(self, name: str) -> None:
        with without_user_path():
            import runpy

        sys.path.insert(0, os.getcwd())
        namespace = runpy.run_module(name, run_name="__main__", alter_sys=True)
        self.main.__dict__.update(namespace)
        sys.modules["__main__"] = self.main

    def _exec(self, code_obj: Any) -> None:
        with _interruptible():
            exec(code_obj, self.main.__dict__)

    def _report_startup_error(self) -> None:
        """Print a traceback the way python3 -i does, without our frames."""
        etype, value, tb = sys.exc_info()
        tb = strip_own_frames(tb)
        self.console.write("".join(traceback.format_exception(etype, value, tb)))
        sys.stderr.flush()

    # -- the loop -------------------------------------------------------------

    def serve(self) -> int:
        """Answer requests until the shell hangs up; return the exit status."""
        self.conn.send(protocol.encode(protocol.Hello(pid=os.getpid(), python=sys.version)))
        handlers: dict[type, Callable[[Any], protocol.Reply]] = {
            protocol.RunRequest: self.on_run,
            protocol.ReloadRequest: self.on_reload,
            protocol.CompleteRequest: self.help.complete,
            protocol.ModulesRequest: self.on_modules,
            protocol.SignatureRequest: self.help.signature,
            protocol.DocRequest: self.help.doc,
            protocol.StaleRequest: lambda request: self.stale.report(),
        }
        while True:
            # A request typed ahead follows the hello within a few ms: it goes first.
            # Once idle, the deferred work runs back to back (not IDLE_AFTER apart: the
            # last of it, :undo's checkpoint, would still be forking when a save came).
            if self.idle and not self.conn.poll(IDLE_AFTER):
                while self.idle and not self.conn.poll(0):
                    self.idle.pop(0)()
            try:
                wire = self.conn.recv()
            except (EOFError, OSError):
                return 0
            reply = self._answer(handlers, wire)
            self.conn.send(protocol.encode(reply, protocol.message_id(wire)))
            if isinstance(reply, protocol.RunReply) and reply.exit is not None:
                return reply.exit

    def _answer(self, handlers: dict[type, Callable[[Any], protocol.Reply]],
                wire: dict[str, Any]) -> protocol.Reply:
        """The handler's reply; a bug of ours is reported, never fatal to the session."""
        try:
            request = protocol.decode(wire)
            superseded = SUPERSEDED_BY_NEXT.get(type(request))
            if superseded is not None and self.conn.poll(0):
                return superseded()
            return handlers[type(request)](request)
        except Exception as exc:
            sys.stderr.write(f"freshrepl: internal error in the kernel: {exc!r}\n")
            sys.stderr.flush()
            return protocol.ErrorReply(repr(exc))

    def on_run(self, request: protocol.RunRequest) -> protocol.RunReply:
        for hook in self.hooks:
            hook.before_run(request)
        started = time.monotonic()
        reply = self._run(request)
        took = time.monotonic() - started
        for hook in self.hooks:
            hook.after_run(reply, took)
        return reply

    def _run(self, request: protocol.RunRequest) -> protocol.RunReply:
        exit_status, error = None, ""
        redirect = _NullStdio() if request.replay else None
        if redirect is not None:
            self.console.captured = []
            redirect.__enter__()
        try:
            with _interruptible(request.since) as interruptible:
                interruptible.deliver_missed()
                self.console.push_source(request.source, block=request.block)
        except SystemExit as exc:
            exit_status = _exit_status(exc)
        except KeyboardInterrupt:
            # Raised outside runcode (while compiling): python3 prints just this.
            self.console.resetbuffer()
            self.console.write("\nKeyboardInterrupt\n")
            self.console.failed = True
        finally:
            if redirect is not None:
                redirect.__exit__()
                error = "".join(self.console.captured or [])
                self.console.captured = None
            flush_stdio()
        if self.reloader is not None:
            self.reloader.note_main_input(request.source)
        return protocol.RunReply(
            ok=not self.console.failed and exit_status is None,
            exit=exit_status,
            error=error,
            modules=self._module_delta(),
        )

    def on_reload(self, request: protocol.ReloadRequest) -> protocol.ReloadReply:
        if self.reloader is None:
            return protocol.ReloadReply()
        results = self.reloader.reload(request.paths, request.names, request.imported)
        # A reload's garbage, or that of comparing many modules.
        self._give_back_memory_after(TRIM_AFTER_MODULES if results else self.reloader.compared)
        return protocol.ReloadReply(results, self._module_delta())

    def on_modules(self, request: protocol.ModulesRequest) -> protocol.ModulesReply:
        return protocol.ModulesReply(self._module_delta())

    def _module_delta(self) -> protocol.ModuleDelta:
        if self.reloader is None:
            return protocol.ModuleDelta()
        delta = self.reloader.take_module_delta()
        self._give_back_memory_after(len(delta.added))  # their compiles' garbage
        return delta

    def _give_back_memory_after(self, modules: int) -> None:
        """Work on this many user modules leaves much freed memory: give it back once idle."""
        if modules >= TRIM_AFTER_MODULES and give_back_memory not in self.idle:
            self.idle.append(give_back_memory)

    # -- for a kernel resumed from a checkpoint (checkpoints.py) ----------------------------

    def release_channel(self) -> None:
        """Let go of the shell's channel; its number stays taken (by the null device) until
        ``take_channel`` closes this ``Channel``: else it could be reused, then closed twice."""
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, self.conn.fileno())
        os.close(null)

    def take_channel(self, conn: Channel) -> None:
        """Serve on ``conn`` from now on (a new shell-side kernel handle)."""
        old, self.conn = self.conn, conn
        old.close()

    def report_all_modules(self) -> None:
        """The next module delta names every user module loaded (the new handle knows none)."""
        if self.reloader is not None:
            self.reloader.report_all_modules()


# -- helpers ----------------------------------------------------------------


class _interruptible:
    """Let Ctrl-C reach user code inside the block only, and none pressed for it be lost.

    Between inputs a Ctrl-C is only noted (``missed``); inside, the handler is
    the one user code last installed (python3's default to start with), so a
    ``signal.signal(SIGINT, ...)`` typed at the prompt stays in force.  The
    terminal sends Ctrl-C as a signal from the moment the shell hands it over
    for an input (``since``), which may be before the kernel takes the input up
    (a reload first, or idle work finishing): a Ctrl-C noted after ``since`` is
    delivered as the block begins, as python3 would have had it at once.
    """

    user_handler: Any = signal.default_int_handler
    missed: float = float("-inf")  # when a Ctrl-C last came between inputs

    def __init__(self, since: float | None = None) -> None:
        self.since = since

    def __enter__(self) -> _interruptible:
        set_sigint_handler(_interruptible.user_handler)
        return self

    def deliver_missed(self) -> None:
        """The block's first step: a Ctrl-C pressed for it, before it began, goes to user code."""
        if self.since is not None and _interruptible.missed >= self.since:
            _interruptible.missed = float("-inf")
            signal.raise_signal(signal.SIGINT)

    def __exit__(self, *exc: object) -> None:
        _interruptible.user_handler = set_sigint_handler(_note_missed)


def _note_missed(signum: int, frame: Any) -> None:
    """SIGINT between inputs: noted, never raised (a reload or the kernel's own work is not
    cut half-way); ``_interruptible`` hands it to the input it was meant for."""
    _interruptible.missed = time.monotonic()


class _NullStdio:
    """Point fds 0-2 at the null device (replayed inputs are silent and read EOF)."""

    def __enter__(self) -> None:
        flush_stdio()
        self.saved = [os.dup(fd) for fd in (0, 1, 2)]
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)

    def __exit__(self, *exc: object) -> None:
        flush_stdio()
        for fd, saved in zip((0, 1, 2), self.saved, strict=True):
            os.dup2(saved, fd)
            os.close(saved)


def _blank_first_line(source: str | bytes) -> str | bytes:
    """python -x: ignore the first line (kept empty, so line numbers stay true)."""
    if isinstance(source, bytes):
        return b"".join(source.partition(b"\n")[1:])
    return "".join(source.partition("\n")[1:])


def _exit_status(exc: SystemExit) -> int:
    """The status python3 would exit with, printing a message code as it does."""
    status = exc.code
    if status is None:
        return 0
    if isinstance(status, int):
        return status & 0xFF
    sys.stderr.write(f"{status}\n")
    return 1


def _fresh_main_module() -> ModuleType:
    """The __main__ module python3's REPL would give, with our bootstrap names gone."""
    main = sys.modules["__main__"]
    keep = {"__name__", "__doc__", "__package__", "__loader__", "__spec__", "__builtins__"}
    for name in list(main.__dict__):
        if name not in keep:
            del main.__dict__[name]
    main.__dict__.update(__doc__=None, __package__=None, __spec__=None, __annotations__={})
    return main


def _make_reloader(main: ModuleType) -> Any:
    """The reload engine, or None (with a warning) if it cannot start here."""
    try:
        from freshrepl.reload import Reloader

        reloader = Reloader(main, shield=without_user_path)
        reloader.install()
        return reloader
    except Exception as exc:
        sys.stderr.write(f"freshrepl: live reload is off in this kernel: {exc!r}\n")
        return None


def _load_readline() -> None:
    """input() gets line editing, as in python3's interactive mode (where it exists).

    Imported, like everything else the kernel uses, before the user's
    directory is back on sys.path, so a project's file cannot stand in for it.
    """
    try:
        import readline  # noqa: F401
    except ImportError:
        pass


def _load_deferred() -> None:
    """What start-up left out for speed, loaded (user directory off the path) once idle."""
    from freshrepl.reload.engine import load_machinery

    with without_user_path():
        import dis  # noqa: F401  (the names each input reads: kernel/provenance.py)
        import json  # noqa: F401  (checkpoint messages)
        import socket  # noqa: F401  (checkpoints)
        load_machinery()


def _load_help() -> None:
    """What completion and signature help use, loaded once idle: the first request is not slow."""
    with without_user_path():
        import inspect  # noqa: F401  (static attribute lookups)

        import freshrepl.kernel.completer  # noqa: F401


def give_back_memory() -> None:
    """Return the C heap's free pages to the system (glibc; elsewhere a no-op).

    The allocator keeps what an import's compiles, or a big reply's pickle,
    freed; python3 would too, but a kernel lives long and is forked for checkpoints.
    """
    try:
        with without_user_path():
            import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except Exception:  # not glibc (no malloc_trim), or no ctypes
        pass


def _tie_to_parent(parent: int) -> None:
    """``parent_death_signal``, with ctypes loaded off the user's path."""
    load_shielded("ctypes")
    parent_death_signal(parent)


def main(user_path: list[str] | None = None, config: protocol.KernelConfig | None = None,
         conn: Channel | None = None) -> None:
    """Run the kernel and exit; ``user_path`` is the sys.path user code gets.

    A spawned kernel finds its ``config`` and channel in the environment (see
    shell/kernel_process.py); a forked one is handed them (see forked.py).
    """
    set_sigint_handler(_note_missed)
    if config is None:
        config = protocol.KernelConfig.from_env(os.environ)
    if conn is None:
        fd = int(os.environ.pop(protocol.KERNEL_CHANNEL_ENV))
        os.set_inheritable(fd, False)
        conn = Channel(fd)
    parent = config.parent or os.getppid()
    watch_parent(parent)
    kernel = KernelServer(conn, config)
    if config.checkpoint_fd >= 0:
        from freshrepl.kernel.checkpoints import Checkpointer

        kernel.hooks.append(Checkpointer(kernel, config.checkpoint_fd, config.checkpoint_after,
                                         config.checkpoint_idle, config.checkpoint_memory_mb))
    # The parent-death signal is instant, but ctypes takes a few ms to load: once idle.
    kernel.idle.append(lambda: _tie_to_parent(parent))
    kernel.idle.append(_load_deferred)
    kernel.idle.append(_load_help)
    _load_readline()
    if user_path is not None:
        sys.path[:] = user_path
    kernel.start()
    status = kernel.serve()
    flush_stdio()
    sys.exit(status)
