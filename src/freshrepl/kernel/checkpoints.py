"""Checkpoints, kernel side: paused copy-on-write forks of the kernel, and resuming one.

When to take one (the policy): before an input that first imports one of the
user's modules (a restart after an unsafe edit of that module resumes there
and imports it afresh), and after a successful input (or a start-up: the
``-i`` script, PYTHONSTARTUP) that took at least
``KernelConfig.checkpoint_after`` seconds (its cost is not paid again).  Never
twice for the same state, and never when forking is not safe: another thread
is running, a fork-unsafe runtime (CUDA, ...) is loaded, or the platform has
no ``fork``/``/proc`` (then the shell is told why, and restarts replay).

A checkpoint is a child of the kernel that drops its copies of the kernel's
channels, ignores the terminal's signals (it never reads the terminal), turns
the garbage collector off (no user finalizer ever runs in it) and waits on a
private control socket.  Only the shell holds the other end: when the shell
closes it (the checkpoint is dropped, or the shell ended however it ended)
the checkpoint exits at once.

To resume, the shell sends a ``ResumeRequest`` down the control socket with
the new kernel's channel ends attached.  The checkpoint forks twice: the
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
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from importlib.machinery import PathFinder

from freshrepl import digests, protocol
from freshrepl.channel import Channel
from freshrepl.kernel.imports import load_shielded, without_user_path
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

        def serve(self) -> int: ...
        def release_channel(self) -> None: ...
        def take_channel(self, conn: Channel) -> None: ...
        def report_all_modules(self) -> None: ...

# Runtimes that are known not to survive a fork once loaded (their own threads
# and device contexts); a thread started by any other runtime is caught too.
_FORK_UNSAFE_MODULES = {
    "tensorflow": "TensorFlow",
    "jax": "JAX",
    "cupy": "CuPy (CUDA)",
    "pycuda.driver": "PyCUDA (CUDA)",
    "mpi4py.MPI": "MPI",
}
# Threads of freshrepl's own (they hold no lock a fork could leave taken).
OWN_THREAD_PREFIX = "freshrepl-"
_MAX_FDS = 4  # descriptors a resume request may carry
_CHECKPOINT_OOM_SCORE = "800"  # of -1000..1000: the OOM killer's favourite victims


def fork_unsafe_reason() -> str | None:
    """Why the kernel must not fork now, or None when it may."""
    if not hasattr(os, "fork") or not os.path.isdir("/proc/self/task"):
        return "checkpoints need fork() and /proc (Linux)"
    threads = _foreign_threads()
    if threads:
        return threads
    for module, runtime in _FORK_UNSAFE_MODULES.items():
        if module in sys.modules:
            return f"{runtime} is loaded in the kernel (not safe to fork)"
    torch_cuda = sys.modules.get("torch.cuda")
    if torch_cuda is not None and getattr(torch_cuda, "is_initialized", lambda: False)():
        return "CUDA is initialised in the kernel (torch; not safe to fork)"
    return None


def _foreign_threads() -> str | None:
    """A description of the threads running besides the main one and ours, if any."""
    own = sum(1 for t in threading.enumerate() if t.name.startswith(OWN_THREAD_PREFIX))
    try:
        others = len(os.listdir("/proc/self/task")) - 1 - own
    except OSError:
        return "cannot count the kernel's threads"
    if others <= 0:
        return None
    main = threading.main_thread()
    named = [t.name for t in threading.enumerate()
             if t is not main and not t.name.startswith(OWN_THREAD_PREFIX)]
    if named:
        plural = "s are" if len(named) > 1 else " is"
        return f"a thread{plural} running in the kernel ({', '.join(named[:3])})"
    plural = "s" if others > 1 else ""
    return (f"{others} thread{plural} started by native code {'are' if others > 1 else 'is'} "
            f"running{_known_pools()}")


# Native thread pools that a variable keeps from starting: (library file name part, whose, variable).
_THREAD_POOLS = (("openblas", "numpy's OpenBLAS pool", "OPENBLAS_NUM_THREADS"),
                 ("libgomp", "an OpenMP pool", "OMP_NUM_THREADS"),
                 ("libomp", "an OpenMP pool", "OMP_NUM_THREADS"))


def _known_pools() -> str:
    """`` (numpy's OpenBLAS pool? OPENBLAS_NUM_THREADS=1 keeps it away)`` for the pools loaded.

    The threads themselves are anonymous: the libraries mapped into the
    kernel say whose they may be, and the variable is what the user can do.
    """
    try:
        with open("/proc/self/maps") as maps:
            loaded = {os.path.basename(line.split()[-1]) for line in maps if "/" in line}
    except OSError:
        return ""
    hints = {f"{whose}? {variable}=1 keeps it away"
             for part, whose, variable in _THREAD_POOLS
             if any(part in name for name in loaded)}
    return f" ({'; '.join(sorted(hints))})" if hints else ""


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

    def __init__(self, server: Server, outbox_fd: int, slow: float) -> None:
        self.server = server
        self.slow = slow
        os.set_inheritable(outbox_fd, False)
        self.outbox: _socket.socket | None = _socket.socket(fileno=outbox_fd)
        self.outbox.setblocking(False)  # a shell that stopped reading never blocks us
        self.children: list[int] = []  # checkpoints forked here, reaped once dropped
        self.inputs = 0
        # Seconds of inputs (and start-up) since the newest checkpoint: what a restart
        # from it would run again.  Below ``slow`` a checkpoint saves less than it costs;
        # and as it is 0 right after one, no two checkpoints hold the same state.
        self.unsaved = 0.0

    # -- the server's hooks --------------------------------------------------------------

    def after_start(self, took: float) -> None:
        """A slow start-up (``-i`` script, PYTHONSTARTUP) is followed by a checkpoint."""
        self.unsaved += took
        if took >= self.slow:
            self.take(f"after a {took:.1f} s start-up", after=False)

    def before_run(self, request: protocol.RunRequest) -> None:
        """Before an input that first imports a user module, once enough is unsaved."""
        self._reap()
        if self.unsaved >= self.slow:
            module = first_user_import(request.source, _is_user_file)
            if module is not None:
                self.take(f"before importing {module}", after=False)

    def after_run(self, reply: protocol.RunReply, took: float) -> None:
        """After a slow input that succeeded."""
        self.inputs += 1
        if reply.ok:  # a replay runs only the inputs that succeeded
            self.unsaved += took
        if took >= self.slow and reply.ok and reply.exit is None:
            self.take(f"after a {took:.1f} s input", after=True)

    # -- taking one ----------------------------------------------------------------

    def take(self, why: str, after: bool) -> None:
        """Fork a paused checkpoint and tell the shell; in a resumed kernel this never returns."""
        # Loaded at start-up were it not for their cost: json for protocol.encode_packet,
        # socket for process.send_fds.
        load_shielded("json", "socket")

        reason = fork_unsafe_reason()
        if reason is None and self.server.reloader is None:
            reason = "live reload is off in this kernel"
        if reason is not None:
            self._send(protocol.CheckpointSkipped(after, reason))
            return
        try:
            listing = self._write_loaded_files()  # before the fork: no page is copied for it
        except OSError as exc:
            self._send(protocol.CheckpointSkipped(after, f"cannot list its files ({exc.strerror})"))
            return
        try:
            self._fork_paused(why, after, listing)
        finally:
            os.close(listing)

    def _fork_paused(self, why: str, after: bool, listing: int) -> None:
        with without_user_path():  # loaded at start-up were it not for its cost
            import socket

        keep, give = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        unsaved, self.unsaved = self.unsaved, 0.0  # a resumed kernel starts from it too
        try:
            flush_stdio()  # or both processes would write what was buffered
            pid = _fork()
        except OSError as exc:  # out of memory or processes: the input runs all the same
            self.unsaved = unsaved
            keep.close()
            give.close()
            self._send(protocol.CheckpointSkipped(after, f"fork failed ({exc.strerror})"))
            return
        if pid == 0:
            give.close()
            os.close(listing)
            self._pause(keep)  # returns never: exits, or serves as a resumed kernel
        keep.close()
        self.children.append(pid)
        if not self._send(protocol.CheckpointTaken(pid, after, why), give.fileno(), listing):
            os.kill(pid, signal.SIGKILL)  # the shell will never know of it
        give.close()

    def _write_loaded_files(self) -> int:
        """What of the user's code this state has loaded, as the shell checks it: a listing's fd."""
        reloader = self.server.reloader
        assert reloader is not None
        # Failed while importing (no module): nothing of it is loaded.
        entries = sorted((e for e in reloader.store.by_name.values()
                          if e.module is not None or e.name == "__main__"), key=_path_and_name)
        fingerprints: Iterable[tuple[str, str, str]] = map(_fingerprint, entries)
        startup = os.environ.get("PYTHONSTARTUP")
        if startup and os.path.isfile(startup) and not sys.flags.ignore_environment:
            fingerprints = itertools.chain(fingerprints, [_startup_fingerprint(startup)])
        return digests.write_listing(fingerprints)

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
                self._become_kernel(request.parent, fds, saved, gc_was_enabled)
            os._exit(0)
        os.waitpid(middle, 0)

    def _become_kernel(self, shell: int, fds: list[int], saved: tuple[dict[int, Any], str | None],
                       gc_was_enabled: bool) -> None:
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
