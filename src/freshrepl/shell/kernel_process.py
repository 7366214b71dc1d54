"""The kernel process as the shell owns it: forking or spawning it, following its end, killing and reaping it.

The kernel is spawned with ``posix_spawn`` (cheap, no fork of a large shell)
into the shell's own process group and terminal, so Ctrl-C reaches it
directly and ``input()`` just works.  The first kernel, where it would run
on the shell's own interpreter and flags, is instead forked from the shell
as soon as it starts (``prefork``; the child's side is ``kernel/forked.py``):
it skips an interpreter's start-up and imports while the shell loads, so the
first input's result comes sooner.  A kernel resumed from a checkpoint is
forked by the checkpoint and adopted by the shell (``become_subreaper``).

What travels between the two is the business of ``kernel_client.py`` (the
request channel) and ``checkpoint_inbox.py`` (the checkpoint messages).
"""

from __future__ import annotations

import _socket  # the C sockets: socket.py's enums cost the spawn a few ms
import gc
import os
import sys
import threading
import time

from freshrepl import protocol
from freshrepl.channel import Channel
from freshrepl.process import describe_status, flush_stdio, kill, reap
from freshrepl.shell.options import Options

TYPE_CHECKING = False  # typing loads after the kernel's spawn (loop.py)
if TYPE_CHECKING:
    from collections.abc import Callable

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Run by the kernel interpreter with -c: find this very freshrepl (first on the
# path, so another copy installed for that interpreter cannot stand in for it),
# without leaving our directory on the user's sys.path.
# The user's directory (sys.path[0] == '' with -c) is off the path while the
# kernel imports what it needs, so a project's own json.py or ast.py cannot
# shadow them; main() puts it back before any user code runs.
BOOTSTRAP = (
    "import sys\n"
    "user_path = list(sys.path)\n"
    "sys.path[:] = [{root!r}] + [p for p in sys.path if p not in ('', '.')]\n"
    "import freshrepl.kernel.main\n"
    "freshrepl.kernel.main.main(user_path)\n"
)
# "0": always spawn the kernel (a fresh interpreter), never fork the first one.
FORK_KERNEL_ENV = "FRESHREPL_FORK_KERNEL"


class Preforked:
    """A kernel forked at the shell's start, waiting for its configuration (see ``prefork``)."""

    def __init__(self, pid: int, conn: Channel, inbox: _socket.socket, kernel_inbox_fd: int) -> None:
        self.pid = pid
        self.conn = conn
        self.inbox = inbox  # the shell's end of the checkpoint messages' channel
        self.kernel_inbox_fd = kernel_inbox_fd  # the same channel's end, as numbered in the kernel


def prefork(options: Options) -> Preforked | None:
    """Fork the first kernel now, if it would run on this interpreter with these flags.

    Call it before the shell has threads, open files or anything the user must
    not inherit.  In the child this never returns: it becomes the kernel and
    exits the interpreter (``kernel/forked.py``).
    """
    if not can_fork_kernel(options):
        return None
    ours, theirs = _socket.socketpair()
    inbox, kernel_inbox = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    flush_stdio()  # nothing buffered may be written twice
    # Out of the collector's sight in both processes: a collection in the child
    # would touch (and so copy) every page the two still share.
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        ours.close()
        inbox.close()
        from freshrepl.kernel.forked import become_kernel

        become_kernel(theirs.detach(), kernel_inbox.detach())
    kernel_inbox_fd = kernel_inbox.fileno()
    theirs.close()
    kernel_inbox.close()
    inbox.setblocking(False)
    return Preforked(pid, Channel(ours.detach()), inbox, kernel_inbox_fd)


def can_fork_kernel(options: Options) -> bool:
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


class KernelProcess:
    """The kernel's process id, how it ended, and the thread that tells when it does."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.exit_reason: str | None = None  # "exit status 3", "SIGSEGV"; None while it runs
        self.exit_status: int | None = None
        # Called from a background thread when the kernel process ends.
        self.on_exit: Callable[[], None] | None = None

    def spawn(self, options: Options, config: protocol.KernelConfig, channel_fd: int) -> int:
        """A new interpreter running the kernel on ``channel_fd`` (and ``config.checkpoint_fd``)."""
        passed = [channel_fd] + ([config.checkpoint_fd] if config.checkpoint_fd >= 0 else [])
        for fd in passed:
            os.set_inheritable(fd, True)
        env = dict(os.environ)
        # Would drop the kernel into python's own REPL when it exits.
        env.pop("PYTHONINSPECT", None)
        env[protocol.KERNEL_CHANNEL_ENV] = str(channel_fd)
        env[protocol.KERNEL_CONFIG_ENV] = config.to_env()
        argv = [options.python, *options.python_flags, "-c", BOOTSTRAP.format(root=SOURCE_ROOT)]
        pid = os.posix_spawn(options.python, argv, env)
        self.follow(pid)
        return pid

    def follow(self, pid: int) -> None:
        """``pid`` is the kernel now: tell ``on_exit`` when it ends."""
        self.pid, self.exit_reason, self.exit_status = pid, None, None
        if self.on_exit is not None:
            threading.Thread(
                target=self._await_exit, args=(pid,), name="freshrepl-kernel-exit", daemon=True
            ).start()

    def forget(self) -> None:
        """No kernel process for now (one resumed from a checkpoint has not said hello)."""
        self.pid, self.exit_reason, self.exit_status = None, None, None

    def _await_exit(self, pid: int) -> None:
        """Tell ``on_exit`` when this kernel ends, without reaping it (that stays ours)."""
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except (ChildProcessError, OSError):
            pass
        if pid == self.pid and self.on_exit is not None:
            self.on_exit()

    def alive(self) -> bool:
        return self.pid is not None and self.exit_reason is None and not self.reap(block=False)

    def reap(self, block: bool) -> bool:
        """True once the kernel has exited; records how in ``exit_reason``."""
        if self.exit_reason is not None:
            return True
        if self.pid is None:
            return False
        try:
            status = reap(self.pid, block)
        except ChildProcessError:
            self.exit_reason = "exit status unknown"
            return True
        if status is None:
            return False
        self.exit_reason = describe_status(status)
        self.exit_status = os.waitstatus_to_exitcode(status)
        return True

    def kill(self) -> None:
        """End the kernel for sure: SIGKILL, then reap it (no zombie, no orphan)."""
        if self.pid is not None and self.exit_reason is None:
            kill(self.pid)
            self.reap(block=True)

    def end(self, timeout: float, poll: float) -> None:
        """Let the kernel exit by itself for up to ``timeout`` seconds, then kill it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.reap(block=False):
                return
            time.sleep(poll)
        self.kill()
