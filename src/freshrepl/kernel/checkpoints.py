"""Checkpoints, kernel side: paused copy-on-write forks of the kernel, and resuming one.

When to take one (the policy): before an input that first imports one of the
user's modules (a restart after an unsafe edit of that module resumes there
and imports it afresh), and after a successful input (or a start-up: the
``-i`` script, PYTHONSTARTUP) that took at least
``KernelConfig.checkpoint_after`` seconds (its cost is not paid again).  And
with ``KernelConfig.checkpoint_idle``, one while the kernel is idle after each
input (for ``:undo``; no request waited for a moment, so the user is typing).
Never twice for the same state, and never when forking is not safe (see
``fork_safety.py``; the shell is told why, and restarts replay).  Each input
comes with its number in the shell's record, and each checkpoint says the
number of the last input whose effects it holds, so the shell never has to
guess where one stands.

A checkpoint is a child of the kernel that drops its copies of the kernel's
channels, ignores the terminal's signals (it never reads the terminal), turns
the garbage collector off (no user finalizer ever runs in it) and waits on a
private control socket.  Only the shell holds the other end: when the shell
closes it (the checkpoint is dropped, or the shell ended however it ended)
the checkpoint exits at once.

To resume, the shell sends a ``ResumeRequest`` down the control socket with
the new kernel's channel ends attached (a ``quiet`` request, a trial for
``:checkpoints``, sends the new kernel's output to the null device).  The
checkpoint forks twice: the
middle process exits at once, so the new kernel is adopted by the shell (a
child subreaper) and is the shell's own child like a spawned kernel; the
checkpoint goes back to waiting, so it can be resumed again.  The new kernel
takes over the channels, reports every user module as newly imported (the
shell's watcher follows them) and serves requests from the frames it was
forked in; when it is done it exits with ``SystemExit`` as ``main`` would.
"""

from __future__ import annotations

import _socket  # the C sockets: socket.py (its enums) loads with the first checkpoint
import ast
import gc
import itertools
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from importlib.machinery import PathFinder

from freshrepl import digests, protocol
from freshrepl.channel import Channel
from freshrepl.kernel.fork_safety import fork_unsafe_reason, threads_left_after_fork
from freshrepl.kernel.imports import load_shielded, without_user_path
from freshrepl.kernel.rehearsal import rehearse
from freshrepl.kernel.warm_pages import WarmPages
from freshrepl.process import (
    flush_stdio,
    parent_death_signal,
    reap_soon,
    receive_fds,
    send_fds,
    watch_parent,
)

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    import socket
    from typing import Any, Protocol

    from freshrepl.reload.hook import Loaded

    class Server(Protocol):
        """What the checkpointer uses of the kernel's server (``kernel/main.KernelServer``)."""

        reloader: Any  # the reload engine, or None when live reload is off
        idle: list[Callable[[], None]]
        console: Any  # its ``compile`` compiles an input as the console does

        def serve(self) -> int: ...
        def release_channel(self) -> None: ...
        def take_channel(self, conn: Channel) -> None: ...
        def report_all_modules(self) -> None: ...

_MAX_FDS = 4  # descriptors a resume request may carry
_CHECKPOINT_OOM_SCORE = "800"  # of -1000..1000: the OOM killer's favourite victims


def first_user_import(source: str, is_user_file: Callable[[str | None], bool]) -> str | None:
    """The first user module ``source`` imports that is not loaded yet, else None."""
    if "import" not in source:
        return None  # no import statement: no parse (most inputs)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None  # the console reports it; nothing will be imported
    for node in ast.walk(tree):
        for name in _imported_names(node):
            if _new_user_module(name, is_user_file):
                return name
    return None


def _imported_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        package = sys.modules.get(node.module)
        if package is not None and hasattr(package, "__path__"):
            return [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"]
        return [node.module]
    return []


def _new_user_module(name: str, is_user_file: Callable[[str | None], bool]) -> bool:
    """Would importing ``name`` load a user module for the first time?  Never imports."""
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        if prefix in sys.modules:
            continue
        path = None
        if depth > 1:
            path = getattr(sys.modules[".".join(parts[: depth - 1])], "__path__", None)
            if path is None:
                return False
        try:
            spec = PathFinder.find_spec(prefix, path)
        except (ImportError, ValueError):
            return False
        return spec is not None and is_user_file(spec.origin)
    return False


class Checkpointer:
    """Takes checkpoints around the kernel's inputs and turns a resumed one into the kernel.

    The server calls it (its ``hooks``) after start-up and before and after each input.
    """

    def __init__(self, server: Server, outbox_fd: int, slow: float, idle: bool = False,
                 memory_mb: int = 1024) -> None:
        self.server = server
        self.slow = slow
        self.memory = memory_mb * 1024 * 1024  # what the checkpoints may hold together
        os.set_inheritable(outbox_fd, False)
        self.outbox: _socket.socket | None = _socket.socket(fileno=outbox_fd)
        self.outbox.setblocking(False)  # a shell that stopped reading never blocks us
        self.children: list[int] = []  # checkpoints forked here, reaped once dropped
        self.inputs = 0
        # Seconds of inputs (and start-up) since the newest checkpoint: what a restart
        # from it would run again.  Below ``slow`` a checkpoint saves less than it costs;
        # and as it is 0 right after one, no two checkpoints hold the same state.
        self.unsaved = 0.0
        # The number of the last input of the session record this state holds the
        # effects of (the shell numbers each input it sends), and whether any input
        # ran since the last checkpoint; with ``idle_checkpoints`` one follows each.
        self.position = 0
        self._number = -1
        self.dirty = False
        self.idle_checkpoints = idle
        self.warm_pages = WarmPages()

    # -- the server's hooks --------------------------------------------------------------

    def after_start(self, took: float) -> None:
        """A slow start-up (``-i`` script, PYTHONSTARTUP) is followed by a checkpoint."""
        self.unsaved += took
        if took >= self.slow:
            self.take(f"after a {took:.1f} s start-up", after=False)

    def before_run(self, request: protocol.RunRequest) -> None:
        """Before an input that first imports a user module, once enough is unsaved."""
        # Where the state stands once it ran: a rerun (:rerun) refreshes the inputs so
        # far and stands where they do; an input without a position, after the last.
        self._number = (self.position if request.rerun else request.position + 1
                        if request.position >= 0 else self.position + 1)
        if self.unsaved >= self.slow:
            module = first_user_import(request.source, _is_user_file)
            if module is not None:
                self.take(f"before importing {module}", after=False)

    def after_run(self, reply: protocol.RunReply, took: float) -> None:
        """After a slow input that succeeded; and once idle after any (for :undo)."""
        self.inputs += 1
        self.position = self._number
        self.dirty = True  # a failed input may have changed things too
        if reply.ok:  # a replay runs only the inputs that succeeded
            self.unsaved += took
        if took >= self.slow and reply.ok and reply.exit is None:
            self.take(f"after a {took:.1f} s input", after=True)
        idle = self.server.idle  # run once no request comes for a moment (after a replay too)
        if self.children and self._reap not in idle:
            idle.append(self._reap)  # checkpoints the shell dropped: not between Enter and result
        if self.idle_checkpoints and reply.exit is None and self._take_idle not in idle:
            idle.append(self._take_idle)

    # -- taking one ----------------------------------------------------------------

    def _take_idle(self) -> None:
        """The checkpoint ``:undo`` resumes: the state before the next input, taken while idle."""
        # A checkpoint shares the kernel's pages: once the next input writes them,
        # each is copied (slowly: a page fault each).  A heap bigger than what the
        # checkpoints may hold would be copied past the budget by one rewrite, and
        # the user would wait for it on every input: then :undo replays instead.
        if self.dirty and _private_memory() <= self.memory:
            self.warm_pages.before_fork()
            if self.take("while idle, for :undo", after=True, idle=True):
                # The next input's page copies, now: those inputs were seen to write,
                # and those of an input's path.
                self.warm_pages.after_fork()
                rehearse(self.server.console.compile)

    def take(self, why: str, after: bool, idle: bool = False) -> bool:
        """Fork a paused checkpoint and tell the shell (False: none was kept); in a resumed
        kernel this never returns."""
        # Loaded at start-up were it not for their cost: json for protocol.encode_packet,
        # socket for process.send_fds.
        load_shielded("json", "socket")

        reason = fork_unsafe_reason()
        if reason is None and self.server.reloader is None:
            reason = "live reload is off in this kernel"
        if reason is not None:
            self._skipped(after, idle, reason)
            return False
        try:
            listing = _write_loaded_files(self.server.reloader)  # before the fork: no page copied
        except OSError as exc:
            self._skipped(after, idle, f"cannot list its files ({exc.strerror})")
            return False
        try:
            return self._fork_paused(why, after, listing, idle)
        finally:
            os.close(listing)

    def _skipped(self, after: bool, idle: bool, reason: str) -> None:
        if not idle:  # the policy's checkpoints are the ones a restart misses
            self._send(protocol.CheckpointSkipped(after, reason, self.position))

    def _fork_paused(self, why: str, after: bool, listing: int, idle: bool) -> bool:
        with without_user_path():  # loaded at start-up were it not for its cost
            import socket

        keep, give = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # A resumed kernel starts from it too.  An idle checkpoint is kept only a few
        # inputs: it does not stand in for the policy's (``unsaved`` goes on counting).
        saved = self.unsaved, self.dirty
        self.unsaved, self.dirty = (self.unsaved if idle else 0.0), False
        began = time.perf_counter()
        try:
            flush_stdio()  # or both processes would write what was buffered
            pid = _fork()
        except OSError as exc:  # out of memory or processes: the input runs all the same
            keep.close()
            give.close()
            self.unsaved, self.dirty = saved
            self._skipped(after, idle, f"fork failed ({exc.strerror})")
            return False
        if pid == 0:
            give.close()
            os.close(listing)
            self._pause(keep)  # returns never: exits, or serves as a resumed kernel
        keep.close()
        self.children.append(pid)
        left = threads_left_after_fork()
        notice = protocol.CheckpointTaken(pid, after, why, self.position, idle,
                                          (time.perf_counter() - began) * 1000)
        kept = left is None and self._send(notice, give.fileno(), listing)
        if not kept:
            # Unsound (a thread ran beside the fork), or the shell will never know of it.
            os.kill(pid, signal.SIGKILL)
            self.unsaved, self.dirty = saved
            if left is not None:
                self._skipped(after, idle, left)
        give.close()
        return kept

    def _send(self, message: protocol.Checkpointing, *attach: int) -> bool:
        """``message`` to the shell's checkpoint inbox, with the descriptors ``attach``."""
        if self.outbox is None:
            return False
        try:
            send_fds(self.outbox, protocol.encode_packet(message), list(attach))  # type: ignore[arg-type]
        except OSError:
            return False
        return True

    def _reap(self) -> None:
        """Checkpoints the shell dropped have exited: collect them (no zombies)."""
        self.children = [pid for pid in self.children if not reap_soon(pid)]

    # -- paused ------------------------------------------------------------------------

    def _pause(self, control: socket.socket) -> None:
        """The checkpoint's life: wait for resume requests until the shell hangs up."""
        saved = _quiet_signals()
        saved_oom = _set_oom_score_adj(_CHECKPOINT_OOM_SCORE)
        gc_was_enabled = gc.isenabled()
        gc.disable()  # no collection, so no user __del__ ever runs here
        self._drop_channels()
        while True:
            try:
                data, fds = receive_fds(control, 1 << 16, _MAX_FDS)
            except OSError:
                os._exit(0)
            if not data:
                os._exit(0)  # the shell dropped us, or is gone
            try:
                request = protocol.decode_packet(data)
            except ValueError:
                request = None
            if isinstance(request, protocol.ResumeRequest) and len(fds) == 2:
                self._fork_kernel(request, fds, control, (saved, saved_oom), gc_was_enabled)
            for fd in fds:
                os.close(fd)

    def _drop_channels(self) -> None:
        """Let go of the kernel's channels so that the shell sees the kernel's own end."""
        self.server.release_channel()
        if self.outbox is not None:
            self.outbox.close()
        self.children = []

    def _fork_kernel(self, request: protocol.ResumeRequest, fds: list[int], control: socket.socket,
                     saved: tuple[dict[int, Any], str | None], gc_was_enabled: bool) -> None:
        """Fork twice; the grandchild, orphaned to the shell, goes on as the kernel."""
        middle = os.fork()
        if middle == 0:
            me = os.getpid()
            if os.fork() == 0:
                control.close()
                while os.getppid() == me:
                    time.sleep(0.0002)  # the middle process is exiting
                self._become_kernel(request, fds, saved, gc_was_enabled)
            os._exit(0)
        os.waitpid(middle, 0)

    def _become_kernel(self, request: protocol.ResumeRequest, fds: list[int],
                       saved: tuple[dict[int, Any], str | None], gc_was_enabled: bool) -> None:
        shell = request.parent
        if request.quiet:  # a trial: whatever changed code prints goes nowhere
            _to_null_device(0, 1, 2)
        if os.getppid() != shell:
            os._exit(1)  # not adopted by the shell: the shell sees the channel close
        watch_parent(shell)
        self.server.idle.clear()  # the forked kernel's start-up work was for its old parent
        load_shielded("ctypes")
        parent_death_signal(shell)
        handlers, oom_score = saved
        _restore_signals(handlers)
        if oom_score is not None:
            _set_oom_score_adj(oom_score)
        if gc_was_enabled:
            gc.enable()
        for fd in fds:
            os.set_inheritable(fd, False)  # never to the user's os.system() children
        self.server.take_channel(Channel(fds[0]))
        self.outbox = _socket.socket(fileno=fds[1])
        self.outbox.setblocking(False)
        self.server.report_all_modules()  # the new shell side knows none
        status = self.server.serve()
        flush_stdio()
        raise SystemExit(status)


def _private_memory() -> int:
    """Bytes of the kernel's resident memory not backed by files (its heap), or 0."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            fields = statm.read().split()
        return (int(fields[1]) - int(fields[2])) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _write_loaded_files(reloader: Any) -> int:
    """What of the user's code this state has loaded, as the shell checks it: a listing's fd."""
    # Failed while importing (no module): nothing of it is loaded.
    entries = sorted((e for e in reloader.store.by_name.values()
                      if e.module is not None or e.name == "__main__"), key=_path_and_name)
    fingerprints: Iterable[tuple[str, str, str]] = map(_fingerprint, entries)
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup) and not sys.flags.ignore_environment:
        fingerprints = itertools.chain(fingerprints, [_startup_fingerprint(startup)])
    return digests.write_listing(fingerprints)


def _to_null_device(*fds: int) -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in fds:
        os.dup2(null, fd)
    os.close(null)


def _path_and_name(entry: Loaded) -> tuple[str, str]:
    return entry.path, entry.name


def _fingerprint(entry: Loaded) -> tuple[str, str, str]:
    data = entry.data
    if not entry.has_source:
        return entry.path, digests.BYTES, entry.digest
    if data is not None:  # the bytes as read: no decoding needed
        return entry.path, digests.BYTES, digests.bytes_digest(data)
    return entry.path, digests.TEXT, digests.text_digest(entry.text or "")  # a reload's text


def _startup_fingerprint(path: str) -> tuple[str, str, str]:
    return path, digests.BYTES, digests.file_digest(path, digests.BYTES) or ""


def _fork() -> int:
    """``os.fork`` without 3.12's warning about our own (lock-free) watcher thread."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _quiet_signals() -> dict[int, Any]:
    """A paused checkpoint runs no user handler and ignores Ctrl-C; hang-ups still end it.

    Returns the handlers it replaced, for the resumed kernel to put back.
    """
    saved: dict[int, Any] = {}
    wanted = {signal.SIGINT: signal.SIG_IGN, signal.SIGQUIT: signal.SIG_IGN,
              signal.SIGHUP: signal.SIG_DFL, signal.SIGTERM: signal.SIG_DFL,
              signal.SIGCHLD: signal.SIG_DFL}
    for signum in signal.valid_signals():
        try:
            handler = signal.getsignal(signum)
        except (ValueError, OSError):
            continue
        new = wanted.get(signum, signal.SIG_IGN if callable(handler) else handler)
        if new is not handler:
            try:
                signal.signal(signum, new)
            except (ValueError, OSError):
                continue
            saved[signum] = handler
    return saved


def _set_oom_score_adj(value: str) -> str | None:
    """Set this process's OOM score adjustment; the old one (None if unknown).

    Checkpoints go first when memory runs out, before the live kernel; going
    back up to the old value is allowed without privileges.
    """
    try:
        with open("/proc/self/oom_score_adj", "r+") as handle:
            old = handle.read().strip()
            handle.seek(0)
            handle.write(value)
        return old
    except OSError:
        return None


def _restore_signals(saved: dict[int, Any]) -> None:
    for signum, handler in saved.items():
        try:
            signal.signal(signum, handler)
        except (ValueError, OSError, TypeError):
            pass


def _is_user_file(path: str | None) -> bool:
    from freshrepl.reload.userfiles import is_user_file

    return is_user_file(path)
