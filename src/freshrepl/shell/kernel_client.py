"""The shell's handle on the kernel: its request channel, with a typed method per request.

The channel is a socketpair (``protocol.py`` over ``channel.py``).  The
process behind it is a ``KernelProcess`` (``kernel_process.py``: fork or
spawn, exit, kill) and, with checkpoints on, its unasked checkpoint messages
arrive in a ``CheckpointInbox`` (``checkpoint_inbox.py``); the client starts,
resumes and ends the three together.
"""

from __future__ import annotations

import _socket  # the C sockets: socket.py's enums cost the spawn a few ms
import os
import time

from freshrepl import protocol
from freshrepl.channel import Channel
from freshrepl.dataclass_lite import as_dict
from freshrepl.process import kill, reap, send_fds
from freshrepl.shell.checkpoint_inbox import CheckpointInbox
from freshrepl.shell.kernel_process import KernelProcess, Preforked
from freshrepl.shell.options import Options
from freshrepl.shell.request_gate import RequestGate, Superseded

TYPE_CHECKING = False  # typing, socket and signal load after the kernel's spawn (loop.py)
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable
    from typing import Any, TypeVar

    _R = TypeVar("_R")


class KernelDied(Exception):
    """The kernel process ended; ``str()`` says how (``exit status 3``, ``SIGSEGV``)."""


class KernelError(Exception):
    """The kernel answered a request with an error (a bug of ours); the kernel goes on."""


def kernel_config(options: Options, inbox_fd: int, checkpoint_after: float | None,
                  checkpoint_idle: bool = False) -> protocol.KernelConfig:
    """What a new kernel is told at its start (``inbox_fd`` -1: no checkpoints)."""
    return protocol.KernelConfig(
        argv=options.argv,
        run_kind=options.run_kind,
        run_target=options.run_target,
        parent=os.getpid(),
        # -x skips a script's first line; the kernel runs the -i script itself.
        skip_first_line="-x" in options.python_flags,
        checkpoint_fd=inbox_fd,
        checkpoint_after=checkpoint_after or 0.0,
        checkpoint_idle=checkpoint_idle,
        checkpoint_memory_mb=int(options.checkpoint_memory_mb),
        color=options.color,
        color_style=options.color_scheme,
        stale_values=options.stale_values,
    )


# Asked for as the user types: they give way to every other request (request_gate.py).
_HELP_REQUESTS = (protocol.CompleteRequest, protocol.SignatureRequest)


class KernelClient:
    """One kernel at a time: its process, its request channel and its checkpoint messages."""

    def __init__(self, options: Options, preforked: Preforked | None = None) -> None:
        self.options = options
        self._preforked = preforked  # the first start() adopts it
        self.process = KernelProcess()
        self.inbox = CheckpointInbox()
        self.conn: Channel | None = None
        self.ready = False
        self._gate = RequestGate()
        self._hello: protocol.Hello | None = None
        self._next_id = 0
        # Seconds an input must take to be followed by a checkpoint; None: no checkpoints.
        self.checkpoint_after: float | None = None
        self.checkpoint_idle = False  # and one while idle after each input (for :undo)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def exit_reason(self) -> str | None:
        return self.process.exit_reason

    # -- life cycle -----------------------------------------------------------

    def start(self) -> None:
        """Start the kernel; it announces itself later (see ``wait_ready``)."""
        preforked, self._preforked = self._preforked, None
        if preforked is not None and self._adopt(preforked):
            return
        ours, theirs = _socket.socketpair()
        inbox = self.inbox.open() if self.checkpoint_after is not None else None
        try:
            config = kernel_config(self.options, inbox.fileno() if inbox is not None else -1,
                                   self.checkpoint_after, self.checkpoint_idle)
            self.process.spawn(self.options, config, theirs.fileno())
        finally:
            theirs.close()
            if inbox is not None:
                inbox.close()
        self._attach(Channel(ours.detach()))

    def _attach(self, conn: Channel) -> None:
        """``conn`` is the channel to the kernel now, not yet ready."""
        self.conn = conn
        self.ready = False

    def _adopt(self, preforked: Preforked) -> bool:
        """Send the forked kernel its configuration; False if it is already gone."""
        checkpoints = self.checkpoint_after is not None
        config = kernel_config(self.options, preforked.kernel_inbox_fd if checkpoints else -1,
                               self.checkpoint_after, self.checkpoint_idle)
        try:
            preforked.conn.send(as_dict(config))
        except OSError:
            preforked.conn.close()
            preforked.inbox.close()
            try:
                reap(preforked.pid, block=True)
            except ChildProcessError:
                pass
            return False
        if checkpoints:
            self.inbox.adopt(preforked.inbox)
        else:
            preforked.inbox.close()
        self._attach(preforked.conn)
        self.process.follow(preforked.pid)
        return True

    def resume(self, control: socket.socket, timeout: float = 5.0, quiet: bool = False) -> protocol.Hello:
        """A kernel forked from a checkpoint (its control socket); raises ``KernelDied``.

        The checkpoint gets the new kernel's ends of a fresh channel and checkpoint
        inbox; the kernel it forks is adopted by this process (see ``process.become_subreaper``)
        and says hello with its pid.  A ``quiet`` one (a trial) writes nothing."""
        inbox = self.inbox if self.checkpoint_after is not None else None
        conn = _hand_new_ends_to(control, inbox, quiet)
        self.process.forget()
        self._attach(conn)
        try:
            hello = self.wait_ready(timeout)
        except (KernelDied, TimeoutError, KernelError) as exc:
            self._close()
            raise KernelDied(str(exc)) from None
        try:
            reap(hello.pid)
        except ChildProcessError:
            kill(hello.pid)
            self._close()
            raise KernelDied("the resumed kernel was not adopted by the shell") from None
        self.process.follow(hello.pid)
        return hello

    def wait_ready(self, timeout: float | None = None) -> protocol.Hello:
        """Block until the kernel has started (and run any -i script); its hello.

        Any thread may ask (a completion can come first); the hello is read once.
        """
        with self._gate.lock:
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
        return self.process.alive()

    def kill(self) -> None:
        """End the kernel for sure: SIGKILL, then reap it (no zombie, no orphan)."""
        self.process.kill()
        self._close()

    def shutdown(self, timeout: float = 2.0) -> None:
        """Hang up and let the kernel exit by itself (its atexit handlers run)."""
        if self.process.pid is None:
            return
        self._close()
        self.process.end(timeout, poll=0.01)

    def wait_exit(self, timeout: float = 5.0) -> None:
        """After an exit reply: let the kernel finish exiting (atexit output)."""
        self.process.end(timeout, poll=0.005)
        self._close()

    # -- requests -------------------------------------------------------------

    def run(self, source: str, replay: bool = False, on_wait: Callable[[], None] | None = None,
            block: bool = False, position: int = -1, rerun: bool = False,
            on_sent: Callable[[], None] | None = None,
            since: float | None = None) -> protocol.RunReply:
        """Run one input (see RunRequest); ``on_wait`` is called about every 0.1 s while it runs,
        ``on_sent`` once the request is on its way (work that should not delay the run)."""
        request = protocol.RunRequest(source, replay, block, position=position, rerun=rerun,
                                      since=since)
        return self._call(request, protocol.RunReply, on_wait=on_wait, on_sent=on_sent)

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

    def stale(self) -> protocol.StaleReply:  # what :stale and :rerun show and run
        return self._call(protocol.StaleRequest(), protocol.StaleReply)

    def doc(self, name: str, timeout: float) -> protocol.DocReply:
        """The docstring of ``name`` (a dotted path) in the kernel, for ``:doc`` and F1."""
        return self._call(protocol.DocRequest(name), protocol.DocReply, timeout=timeout)

    def _call(self, request: protocol.Request, expected: type[_R], timeout: float | None = None,
              on_wait: Callable[[], None] | None = None, on_sent: Callable[[], None] | None = None) -> _R:
        """Send one request and return its reply.

        Raises ``KernelDied`` if the kernel ends first, ``KernelError`` if it
        answers with an error, and ``TimeoutError`` if ``timeout`` passes (a
        late reply is then discarded by its id).  A help request (completion,
        signature) raises ``Superseded`` instead of holding up another request
        or a newer one of its kind: it is then not sent, or no longer awaited.
        """
        if isinstance(request, _HELP_REQUESTS):
            with self._gate.helping(request.op, timeout) as superseded:
                return self._exchange(request, expected, timeout, None, superseded)
        with self._gate.urgent():
            return self._exchange(request, expected, timeout, on_wait, on_sent=on_sent)

    def _exchange(self, request: protocol.Request, expected: type[_R], timeout: float | None,
                  on_wait: Callable[[], None] | None,
                  superseded: Callable[[], bool] | None = None,
                  on_sent: Callable[[], None] | None = None) -> _R:
        """Send ``request`` and wait for its reply (the caller holds the channel)."""
        if self.conn is None:
            raise KernelDied(self.exit_reason or "no kernel")
        self._next_id += 1
        try:
            # Sent before the hello is read: a kernel still starting finds the
            # request waiting (the first input typed at once runs sooner).
            self.conn.send(protocol.encode(request, self._next_id))
        except OSError:
            self.process.reap(block=True)
            raise KernelDied(self.exit_reason or "channel closed") from None
        if on_sent is not None:
            on_sent()
        if not self.ready:
            self._wait_ready_locked(timeout)
        while True:
            wire = self._receive(timeout, on_wait, superseded)
            if protocol.message_id(wire) == self._next_id:
                break
        reply = protocol.decode(wire)
        if isinstance(reply, protocol.ErrorReply):
            raise KernelError(reply.message)
        if not isinstance(reply, expected):
            raise KernelError(f"expected {expected.__name__}, got {type(reply).__name__}")
        return reply

    def _receive(
        self, timeout: float | None, on_wait: Callable[[], None] | None = None,
        superseded: Callable[[], bool] | None = None,
    ) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.conn is None:  # killed while we waited (see KernelSupervisor._check_stuck)
                raise KernelDied(self.exit_reason or "killed")
            if superseded is not None and superseded():
                raise Superseded("given up for another request")
            wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))
            try:
                if self._gate.wait_readable(self.conn, wait, superseded is not None):
                    return self.conn.recv()
            except (EOFError, OSError):
                self.process.reap(block=True)
                raise KernelDied(self.exit_reason or "channel closed") from None
            except InterruptedError:
                continue
            if self.process.reap(block=False):
                raise KernelDied(self.exit_reason)
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError("the kernel did not answer in time")
            if on_wait is not None:
                on_wait()

    def _close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None
        self.inbox.close()


def _hand_new_ends_to(control: socket.socket, inbox: CheckpointInbox | None,
                      quiet: bool) -> Channel:
    """Send a checkpoint the new kernel's ends of a fresh channel (and checkpoint inbox);
    our end of the channel.  A ``quiet`` kernel (a trial) writes nothing."""
    ours, theirs = _socket.socketpair()
    opened = inbox.open() if inbox is not None else None
    fds = [theirs.fileno()] + ([opened.fileno()] if opened is not None else [])
    request = protocol.ResumeRequest(parent=os.getpid(), quiet=quiet)
    try:
        send_fds(control, protocol.encode_packet(request), fds)
    except OSError as exc:
        ours.close()
        raise KernelDied(f"it is gone ({exc.strerror})") from None
    finally:
        theirs.close()
        if opened is not None:
            opened.close()
    return Channel(ours.detach())
