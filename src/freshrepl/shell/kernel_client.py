"""The shell's handle on the kernel process: start, ask, interrupt, kill, restart.

The kernel is spawned with ``posix_spawn`` (cheap, no fork of a large shell)
into the shell's own process group and terminal, so Ctrl-C reaches it
directly and ``input()`` just works.  The private channel is a socketpair.
The first kernel, where it would run on the shell's own interpreter and
flags, is instead forked from the shell as soon as it starts (``prefork``;
the child's side is ``kernel/forked.py``): it skips an interpreter's start-up
and imports while the shell loads, so the first input's result comes sooner.
A kernel can also be resumed from one of its checkpoints (``resume``): it is
then forked by the checkpoint, adopted by the shell, and talks the same way.
With checkpoints on, a second socketpair carries the kernel's unasked
checkpoint notices (``take_notices``).
"""

from __future__ import annotations

import _socket  # the C sockets: socket.py's enums cost the spawn a few ms
import array
import gc
import os
import sys
import threading
import time

from freshrepl import protocol
from freshrepl.channel import Channel
from freshrepl.record import as_dict
from freshrepl.shell.options import Options

TYPE_CHECKING = False  # typing, socket and signal load after the kernel's spawn (loop.py)
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable
    from typing import Any, TypeVar

    _R = TypeVar("_R")

_SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Run by the kernel interpreter with -c: find this very freshrepl (first on the
# path, so another copy installed for that interpreter cannot stand in for it),
# without leaving our directory on the user's sys.path.
# The user's directory (sys.path[0] == '' with -c) is off the path while the
# kernel imports what it needs, so a project's own json.py or ast.py cannot
# shadow them; main() puts it back before any user code runs.
_BOOTSTRAP = (
    "import sys\n"
    "user_path = list(sys.path)\n"
    "sys.path[:] = [{root!r}] + [p for p in sys.path if p not in ('', '.')]\n"
    "import freshrepl.kernel.main\n"
    "freshrepl.kernel.main.main(user_path)\n"
)


class KernelDied(Exception):
    """The kernel process ended; ``str()`` says how (``exit status 3``, ``SIGSEGV``)."""


class KernelError(Exception):
    """The kernel answered a request with an error (a bug of ours); the kernel goes on."""


class Preforked:
    """A kernel forked at the shell's start, waiting for its configuration (see ``prefork``)."""

    def __init__(self, pid: int, conn: Channel, notes: _socket.socket, kernel_notes_fd: int) -> None:
        self.pid = pid
        self.conn = conn
        self.notes = notes  # the shell's end of the notice channel
        self.kernel_notes_fd = kernel_notes_fd  # the same channel's end, as numbered in the kernel


# "0": always spawn the kernel (a fresh interpreter), never fork the first one.
FORK_KERNEL_ENV = "FRESHREPL_FORK_KERNEL"


def prefork(options: Options) -> Preforked | None:
    """Fork the first kernel now, if it would run on this interpreter with these flags.

    Call it before the shell has threads, open files or anything the user must
    not inherit.  In the child this never returns: it becomes the kernel and
    exits the interpreter (``kernel/forked.py``).
    """
    if not _can_fork_kernel(options):
        return None
    ours, theirs = _socket.socketpair()
    notes, kernel_notes = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()  # nothing buffered may be written twice
    # Out of the collector's sight in both processes: a collection in the child
    # would touch (and so copy) every page the two still share.
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        ours.close()
        notes.close()
        from freshrepl.kernel.forked import become_kernel

        become_kernel(theirs.detach(), kernel_notes.detach())
    kernel_notes_fd = kernel_notes.fileno()
    theirs.close()
    kernel_notes.close()
    notes.setblocking(False)
    return Preforked(pid, Channel(ours.detach()), notes, kernel_notes_fd)


def _can_fork_kernel(options: Options) -> bool:
    """Would a fork be the kernel ``options`` ask for, as a spawn would make it?

    The same interpreter (as named: a virtual environment's is not its base's),
    no interpreter flags for the kernel nor on the shell's own command line
    (which a fork would pass on and a spawn would not), no PYTHONINSPECT (the
    spawn drops it), and only one thread to fork.  Linux only: elsewhere a
    fork of an interpreter that loaded system frameworks is not safe.
    """
    if not sys.platform.startswith("linux") or os.environ.get(FORK_KERNEL_ENV) == "0":
        return False
    if options.python_flags or os.path.abspath(options.python) != os.path.abspath(sys.executable):
        return False
    own_argv = getattr(sys, "orig_argv", [])
    if len(own_argv) < 2 or (own_argv[1].startswith("-") and own_argv[1] != "-m"):
        return False
    if os.environ.get("PYTHONINSPECT") or sys.flags.inspect:
        return False
    return threading.active_count() == 1


class KernelClient:
    """One kernel process and the channel to it, with a typed method per request."""

    def __init__(self, options: Options, preforked: Preforked | None = None) -> None:
        self.options = options
        self._preforked = preforked  # the first start() adopts it
        self.pid: int | None = None
        self.conn: Channel | None = None
        self.ready = False
        self.exit_reason: str | None = None
        self._lock = threading.Lock()  # one request (or the hello) on the channel at a time
        self._hello: protocol.Hello | None = None
        self._next_id = 0
        # Called from a background thread when the kernel process ends.
        self.on_exit: Callable[[], None] | None = None
        # Seconds an input must take to be followed by a checkpoint; None: no checkpoints.
        self.checkpoint_after: float | None = None
        self.notes: _socket.socket | None = None  # the shell's end of the notice channel
        self._notices: list[tuple[protocol.Checkpointing, list[int]]] = []

    # -- life cycle -----------------------------------------------------------

    def start(self) -> None:
        """Start the kernel; it announces itself later (see ``wait_ready``)."""
        preforked, self._preforked = self._preforked, None
        if preforked is not None and self._adopt(preforked):
            return
        ours, theirs = _socket.socketpair()
        theirs_fd = theirs.detach()
        os.set_inheritable(theirs_fd, True)
        notes = self._open_notes()
        if notes is not None:
            os.set_inheritable(notes.fileno(), True)
        env = dict(os.environ)
        # Would drop the kernel into python's own REPL when it exits.
        env.pop("PYTHONINSPECT", None)
        env[protocol.KERNEL_CHANNEL_ENV] = str(theirs_fd)
        env[protocol.KERNEL_CONFIG_ENV] = self._config(
            notes.fileno() if notes is not None else -1).to_env()
        argv = [self.options.python, *self.options.python_flags, "-c", _BOOTSTRAP.format(root=_SOURCE_ROOT)]
        try:
            pid = os.posix_spawn(self.options.python, argv, env)
        finally:
            os.close(theirs_fd)
            if notes is not None:
                notes.close()
        self._attach(Channel(ours.detach()), pid)

    def _attach(self, conn: Channel, pid: int) -> None:
        """``pid`` is the kernel now, not yet ready, and ``conn`` the channel to it."""
        self.conn = conn
        self.ready = False
        self.exit_reason = None
        self._follow(pid)

    def _config(self, notes_fd: int) -> protocol.KernelConfig:
        return protocol.KernelConfig(
            argv=self.options.argv,
            run_kind=self.options.run_kind,
            run_target=self.options.run_target,
            parent=os.getpid(),
            # -x skips a script's first line; the kernel runs the -i script itself.
            skip_first_line="-x" in self.options.python_flags,
            checkpoint_fd=notes_fd,
            checkpoint_after=self.checkpoint_after or 0.0,
            color=self.options.color,
            color_style=self.options.color_scheme,
            stale_values=self.options.stale_values,
        )

    def _adopt(self, preforked: Preforked) -> bool:
        """Send the forked kernel its configuration; False if it is already gone."""
        checkpoints = self.checkpoint_after is not None
        config = self._config(preforked.kernel_notes_fd if checkpoints else -1)
        try:
            preforked.conn.send(as_dict(config))
        except OSError:
            preforked.conn.close()
            preforked.notes.close()
            _reap_quietly(preforked.pid)
            return False
        if checkpoints:
            if self.notes is not None:
                self.notes.close()
            self.notes = preforked.notes
        else:
            preforked.notes.close()
        self._attach(preforked.conn, preforked.pid)
        return True

    def resume(self, control: socket.socket, timeout: float = 5.0) -> protocol.Hello:
        """A kernel forked from a checkpoint (its control socket); raises ``KernelDied``.

        The checkpoint gets the new kernel's ends of a fresh channel and
        notice channel; the kernel it forks is adopted by this process (see
        ``become_subreaper``) and says hello with its pid.
        """
        import socket

        ours, theirs = _socket.socketpair()
        notes = self._open_notes()
        fds = [theirs.fileno()] + ([notes.fileno()] if notes is not None else [])
        request = protocol.ResumeRequest(parent=os.getpid())
        try:
            socket.send_fds(control, [protocol.encode_packet(request)], fds)
        except OSError as exc:
            ours.close()
            raise KernelDied(f"it is gone ({exc.strerror})") from None
        finally:
            theirs.close()
            if notes is not None:
                notes.close()
        self.pid, self.exit_reason, self.ready = None, None, False
        self.conn = Channel(ours.detach())
        try:
            hello = self.wait_ready(timeout)
        except (KernelDied, TimeoutError, KernelError) as exc:
            self._close()
            raise KernelDied(str(exc)) from None
        try:
            os.waitpid(hello.pid, os.WNOHANG)
        except ChildProcessError:
            _kill(hello.pid)
            self._close()
            raise KernelDied("the resumed kernel was not adopted by the shell") from None
        self._follow(hello.pid)
        return hello

    def _follow(self, pid: int) -> None:
        """``pid`` is the kernel now: tell ``on_exit`` when it ends."""
        self.pid = pid
        if self.on_exit is not None:
            threading.Thread(
                target=self._await_exit, args=(self.pid,), name="freshrepl-kernel-exit", daemon=True
            ).start()

    def _await_exit(self, pid: int) -> None:
        """Tell ``on_exit`` when this kernel ends, without reaping it (that stays ours)."""
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except (ChildProcessError, OSError):
            pass
        if pid == self.pid and self.on_exit is not None:
            self.on_exit()

    def wait_ready(self, timeout: float | None = None) -> protocol.Hello:
        """Block until the kernel has started (and run any -i script); its hello.

        Any thread may ask (a completion can come first); the hello is read once.
        """
        with self._lock:
            return self._wait_ready_locked(timeout)

    def _wait_ready_locked(self, timeout: float | None) -> protocol.Hello:
        if self.ready and self._hello is not None:
            return self._hello
        hello = protocol.decode(self._receive(timeout))
        if not isinstance(hello, protocol.Hello):
            raise KernelError(f"expected Hello, got {type(hello).__name__}")
        self.ready, self._hello = True, hello
        return hello

    def alive(self) -> bool:
        return self.pid is not None and self.exit_reason is None and not self._reap(block=False)

    def kill(self) -> None:
        """End the kernel for sure: SIGKILL, then reap it (no zombie, no orphan)."""
        if self.pid is None:
            self._close()
            return
        if self.exit_reason is None:
            _kill(self.pid)
            self._reap(block=True)
        self._close()

    def shutdown(self, timeout: float = 2.0) -> None:
        """Hang up and let the kernel exit by itself (its atexit handlers run)."""
        if self.pid is None:
            return
        self._close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._reap(block=False):
                return
            time.sleep(0.01)
        self.kill()

    def wait_exit(self, timeout: float = 5.0) -> None:
        """After an exit reply: let the kernel finish exiting (atexit output)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._reap(block=False):
            time.sleep(0.005)
        self.kill()

    # -- requests -------------------------------------------------------------

    def run(self, source: str, replay: bool = False,
            on_wait: Callable[[], None] | None = None, position: int = -1,
            rerun: bool = False) -> protocol.RunReply:
        """Run one input (``position``: the inputs of the record before it; ``rerun``: that
        one again, for ``:rerun``); ``on_wait`` is called about every 0.1 s while it runs."""
        return self._call(protocol.RunRequest(source, replay, position, rerun), protocol.RunReply,
                          on_wait=on_wait)

    def reload(self, paths: list[str] | None, names: list[str],
               imported: bool = False) -> protocol.ReloadReply:
        return self._call(protocol.ReloadRequest(paths, names, imported), protocol.ReloadReply)

    def complete(self, text: str, timeout: float) -> protocol.CompleteReply:
        return self._call(protocol.CompleteRequest(text), protocol.CompleteReply, timeout=timeout)

    def modules(self) -> protocol.ModuleDelta:
        return self._call(protocol.ModulesRequest(), protocol.ModulesReply).modules

    def signature(self, text: str, timeout: float) -> protocol.SignatureReply:
        """The signature of the call the cursor is in (``text``: the input up to the cursor)."""
        return self._call(protocol.SignatureRequest(text), protocol.SignatureReply, timeout=timeout)

    def stale(self) -> protocol.StaleReply:
        """The stale values and the inputs that made them (``:stale``, ``:rerun``)."""
        return self._call(protocol.StaleRequest(), protocol.StaleReply)

    def doc(self, name: str, timeout: float) -> protocol.DocReply:
        """The docstring of ``name`` (a dotted path) in the kernel, for ``:doc`` and F1."""
        return self._call(protocol.DocRequest(name), protocol.DocReply, timeout=timeout)

    def _call(self, request: protocol.Request, expected: type[_R], timeout: float | None = None,
              on_wait: Callable[[], None] | None = None) -> _R:
        """Send one request and return its reply.

        Raises ``KernelDied`` if the kernel ends first, ``KernelError`` if it
        answers with an error, and ``TimeoutError`` if ``timeout`` passes (a
        late reply is then discarded by its id).
        """
        with self._lock:
            if self.conn is None:
                raise KernelDied(self.exit_reason or "no kernel")
            self._next_id += 1
            try:
                # Sent before the hello is read: a kernel still starting finds the
                # request waiting (the first input typed at once runs sooner).
                self.conn.send(protocol.encode(request, self._next_id))
            except OSError:
                self._reap(block=True)
                raise KernelDied(self.exit_reason or "channel closed") from None
            if not self.ready:
                self._wait_ready_locked(timeout)
            while True:
                wire = self._receive(timeout, on_wait)
                if protocol.message_id(wire) == self._next_id:
                    break
        reply = protocol.decode(wire)
        if isinstance(reply, protocol.ErrorReply):
            raise KernelError(reply.message)
        if not isinstance(reply, expected):
            raise KernelError(f"expected {expected.__name__}, got {type(reply).__name__}")
        return reply

    def _receive(
        self, timeout: float | None, on_wait: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.conn is None:  # killed while we waited (see Shell._check_stuck)
                raise KernelDied(self.exit_reason or "killed")
            wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))
            try:
                if self.conn.poll(wait):
                    return self.conn.recv()
            except (EOFError, OSError):
                self._reap(block=True)
                raise KernelDied(self.exit_reason or "channel closed") from None
            except InterruptedError:
                continue
            if self._reap(block=False):
                raise KernelDied(self.exit_reason)
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError("the kernel did not answer in time")
            if on_wait is not None:
                on_wait()

    # -- internals ------------------------------------------------------------

    def _reap(self, block: bool) -> bool:
        """True once the kernel has exited; records how in ``exit_reason``."""
        if self.exit_reason is not None:
            return True
        if self.pid is None:
            return False
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.exit_reason = "exit status unknown"
            return True
        if pid == 0:
            return False
        self.exit_reason = describe_status(status)
        self.exit_status = os.waitstatus_to_exitcode(status)
        return True

    def _close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None
        if self.notes is not None:
            self._drain_notes()  # the last ones may have been sent just before a crash
            self.notes.close()
            self.notes = None

    # -- checkpoint notices --------------------------------------------------------

    def take_notices(self) -> list[tuple[protocol.Checkpointing, list[int]]]:
        """The checkpoint notices sent since last asked, each with its attached fds."""
        self._drain_notes()
        notices, self._notices = self._notices, []
        return notices

    def _open_notes(self) -> _socket.socket | None:
        """A fresh notice channel (its kernel end returned), if checkpoints are on."""
        if self.checkpoint_after is None:
            return None
        if self.notes is not None:
            self._drain_notes()
            self.notes.close()
        self.notes, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        self.notes.setblocking(False)
        return theirs

    def _drain_notes(self) -> None:
        while self.notes is not None:
            try:
                data, ancillary, _flags, _address = self.notes.recvmsg(
                    1 << 20, _socket.CMSG_SPACE(4 * array.array("i").itemsize), _CLOEXEC
                )
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            fds = _received_fds(ancillary)
            if not data:
                return  # the kernel's end is closed and everything was read
            try:
                self._notices.append((protocol.decode_packet(data), fds))
            except ValueError:
                for fd in fds:
                    os.close(fd)


# Received descriptors are close-on-exec from the start: a kernel spawned later
# must never hold a checkpoint's control socket (the checkpoint would outlive us).
_CLOEXEC = getattr(_socket, "MSG_CMSG_CLOEXEC", 0)


def _received_fds(ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    fds = array.array("i")
    for level, kind, data in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    for fd in fds:
        os.set_inheritable(fd, False)
    return list(fds)


def become_subreaper() -> bool:
    """Adopt the kernel's orphans (a resumed kernel, checkpoints of a dead kernel); Linux only."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_child_subreaper = 36
        return libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def describe_status(status: int) -> str:
    """``exit status 3`` or ``SIGSEGV``, from a raw wait status."""
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return f"exit status {code}"
    import signal

    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _reap_quietly(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _kill(pid: int) -> None:
    import signal

    _signal(pid, signal.SIGKILL)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
