"""Process plumbing for both processes: flushing stdio, lifetimes tied to a parent, reaping, passing fds.

Everything a process needs around ``fork``, ``exec`` and its children, once:

- ``flush_stdio`` before a fork or exec (or both processes write what was buffered);
- ``watch_parent`` and ``parent_death_signal``: a kernel never outlives the shell;
- ``become_subreaper``: the shell adopts the kernel's orphans;
- ``reap``, ``reap_soon``: collecting exited children, no zombies;
- ``send_fds``, ``receive_fds``: a message with descriptors attached (``SCM_RIGHTS``);
- ``sigint_handler``, ``set_sigint_handler``: Ctrl-C's handler swapped around each input.

Nothing is imported at module level beyond ``os``, ``sys`` and the built-in
``_signal`` (both processes load this before their first input); ``ctypes``,
``socket`` and ``signal`` load when first needed.  In the kernel, where the user's directory is on the
path by then, the caller loads ``ctypes`` and ``socket`` first, shielded
(``kernel/imports.without_user_path``).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found,unused-ignore]  # built in; no enums
import os
import sys

TYPE_CHECKING = False  # typing costs both processes' start-up time
if TYPE_CHECKING:
    import socket
    from typing import Any

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def sigint_handler() -> Any:
    """SIGINT's handler now, as the C module gives it (an int for SIG_DFL and SIG_IGN)."""
    return _signal.getsignal(_signal.SIGINT)


def set_sigint_handler(handler: Any) -> Any:
    """Make ``handler`` SIGINT's; the one it replaces (see ``sigint_handler``).

    The signal module's own calls turn handlers into enums, raising and catching
    an exception for every Python handler (5 us on 3.11): twice per input in
    each process, between Enter and the result.
    """
    return _signal.signal(_signal.SIGINT, handler)


def flush_stdio() -> None:
    """Flush ``sys.stdout`` and ``sys.stderr``; a closed or missing stream is no error."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # closed, or a user's object that cannot flush
            pass


# -- lifetimes ---------------------------------------------------------------------------------


def watch_parent(parent: int) -> None:
    """Exit (status 1) once ``parent`` is no longer this process's parent: checked every 0.5 s.

    At once, and the portable fall-back to ``parent_death_signal``.
    """
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="freshrepl-parent-watch", daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


def parent_death_signal(parent: int) -> None:
    """SIGKILL for this process the moment ``parent`` ends (Linux; elsewhere ``watch_parent``)."""
    import signal

    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before the signal was asked for
        os._exit(1)


def become_subreaper() -> bool:
    """Adopt the orphans of this process's descendants (Linux only); did it work?"""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def _prctl(option: int, value: int) -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):  # no libc to load, or no prctl in it
        return False


# -- children ------------------------------------------------------------------------------


def reap(pid: int, block: bool = False) -> int | None:
    """The wait status once child ``pid`` has exited (it is collected), else None.

    Raises ``ChildProcessError`` if ``pid`` is not (or no longer) a child of this process.
    """
    done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    return status if done else None


def reap_soon(pid: int, tries: int = 1, wait: float = 0.001) -> bool:
    """Collect ``pid`` if it exits within ``tries`` looks; True once it is gone or not ours."""
    import time

    for attempt in range(tries):
        try:
            if reap(pid) is not None:
                return True
        except ChildProcessError:
            return True
        if attempt + 1 < tries:
            time.sleep(wait)
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


def kill(pid: int) -> None:
    """SIGKILL ``pid``; one already gone is no error."""
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# -- descriptors over a socket -------------------------------------------------------------


def send_fds(sock: socket.socket, data: bytes, fds: list[int]) -> None:
    """``data`` with ``fds`` attached, in one message; raises ``OSError`` if it cannot be sent."""
    import socket

    socket.send_fds(sock, [data], fds)


def receive_fds(sock: socket.socket, size: int, max_fds: int) -> tuple[bytes, list[int]]:
    """One message and the descriptors attached to it (close-on-exec, not inheritable).

    Close-on-exec from the start: a process spawned meanwhile never holds one.
    Raises what ``recvmsg`` raises (``BlockingIOError`` on a non-blocking socket
    with nothing to read).
    """
    import socket

    data, fds, _flags, _address = socket.recv_fds(sock, size, max_fds,
                                                  getattr(socket, "MSG_CMSG_CLOEXEC", 0))
    for fd in fds:
        os.set_inheritable(fd, False)
    return data, fds
