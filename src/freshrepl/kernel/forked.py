"""The first kernel as a fork of the shell: what the child does from ``os.fork`` to serving.

Spawning a new interpreter for the kernel costs its start-up (some 10-15 ms)
on top of the kernel's imports, all before the first input can run.  When the
kernel would run on the shell's very interpreter with the same flags, the
shell instead forks itself the moment its options are known (see
``shell/kernel_process.prefork``), before it has loaded anything of its own
worth keeping.  The child turns itself into what the spawned kernel would be
-- the same ``sys.path``, a clean ``__main__``, none of the shell's modules --
imports the kernel while the shell draws its prompt, then waits for the
configuration the shell sends once it knows it, and serves.

The child never returns to the shell's code: ``main`` ends with
``sys.exit``, which unwinds through ``cli.main`` (nothing on that short
stack catches it), so the interpreter finishes exactly as a spawned kernel's
does -- threads joined, ``atexit`` handlers run, output flushed.
"""

from __future__ import annotations

import os
import signal
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

# The shell's own modules, loaded before the fork: user code must not see them.
_SHELL_MODULES = ("freshrepl.cli", "freshrepl.__main__", "freshrepl.shell")


def become_kernel(channel_fd: int, outbox_fd: int) -> NoReturn:
    """Serve as the kernel on ``channel_fd`` (``outbox_fd``: the kernel's end of the checkpoint messages' channel)."""
    # A Ctrl-C before the kernel is up must not print a traceback from here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    user_path = _user_path()
    _forget_shell()
    # As in the spawned kernel: the user's directory is off the path while the
    # kernel imports what it needs (a project's json.py cannot stand in).
    sys.path[:] = [p for p in user_path if p not in ("", ".")]
    from freshrepl import protocol
    from freshrepl.channel import Channel
    from freshrepl.kernel import main as kernel_main

    conn = Channel(channel_fd)
    try:
        settings = conn.recv()
    except (EOFError, OSError):
        os._exit(0)  # the shell went away (or started another kernel): no user code ran
    config = protocol.KernelConfig.from_dict(settings)
    if config.checkpoint_fd != outbox_fd:
        os.close(outbox_fd)
    kernel_main.main(user_path, config, conn)
    raise AssertionError("the kernel's main returned")  # pragma: no cover - main exits


def _user_path() -> list[str]:
    """The ``sys.path`` python3's REPL would start with: ``''`` in place of the shell's directory."""
    if getattr(sys.flags, "safe_path", False):
        return list(sys.path)  # -P / PYTHONSAFEPATH: no directory was put in front
    return ["", *sys.path[1:]]


def _forget_shell() -> None:
    """Drop the shell's modules and give ``__main__`` the loader a ``-c`` or REPL one has."""
    for name in list(sys.modules):
        if name.startswith(_SHELL_MODULES):
            del sys.modules[name]
    main = sys.modules["__main__"]
    for name in ("__file__", "__cached__"):
        main.__dict__.pop(name, None)
    main.__dict__["__loader__"] = sys.__loader__
