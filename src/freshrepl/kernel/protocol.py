"""The messages the shell and the kernel exchange over their private channel.

Both sides import this module and nothing else of each other.  The channel is
one end of a socketpair wrapped in ``multiprocessing.connection.Connection``,
which does the framing; a message is a plain ``dict`` (picklable, no classes
of ours cross the wire) so that a kernel on another interpreter version can
still talk to the shell.

Every request has an ``"op"`` key and gets exactly one reply, in order.  The
kernel writes user output straight to the shared terminal, never to the
channel.

Requests (shell -> kernel) and their replies:

``hello``      sent by the kernel, unasked, once it is ready:
               ``{"op": "hello", "pid": int, "python": str}``
``run``        ``{"op": "run", "source": str, "replay": bool}``
               -> ``{"ok": bool, "exit": int | None, "modules": ModuleDelta}``
               ``ok`` is false when the input raised or did not compile;
               ``exit`` is set when the input raised ``SystemExit`` (the
               kernel then exits with that status right after replying).
               With ``replay`` the input's output and standard input are
               redirected to the null device.
``reload``     ``{"op": "reload", "paths": list[str] | None, "names": list[str]}``
               -> ``{"results": list[ReloadResult dicts], "modules": ModuleDelta}``
               ``paths`` are changed files (None: check every user module);
               ``names`` are modules to deep-reload even if unchanged.
``complete``   ``{"op": "complete", "text": str}`` (the input up to the cursor)
               -> ``{"matches": list[str], "start": int}`` where ``start`` is
               the (negative) offset from the cursor the matches replace.
``modules``    ``{"op": "modules"}`` -> ``{"modules": ModuleDelta}``

``ModuleDelta`` is ``{"added": {module_name: file_path}, "removed": [module_name]}``:
the user modules imported or dropped since the last delta the kernel sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

HELLO = "hello"
RUN = "run"
RELOAD = "reload"
COMPLETE = "complete"
MODULES = "modules"

# File-descriptor number the kernel finds its end of the channel on.
KERNEL_CHANNEL_ENV = "FRESHREPL_KERNEL_FD"

# States a reload result (and a watched module) can be in.
RELOADED = "reloaded"  # the change is live
UNCHANGED = "unchanged"  # the file's text equals the loaded source: nothing to do
FAILED = "failed"  # did not compile or raised: module kept exactly as it was
UNSAFE = "unsafe"  # cannot be applied in place: nothing applied
DELETED = "deleted"  # the source file is gone: loaded code stays in use


@dataclass
class ReloadResult:
    """What happened to one module in a reload; travels as a dict."""

    module: str
    path: str
    status: str
    # Short human summary of what changed, e.g. "Point.__repr__ added" or, for
    # UNSAFE, the object and the reason: "Point: base classes changed".
    detail: str = ""
    # For FAILED: "name.py:LINE" and "SyntaxError: invalid syntax".
    location: str = ""
    error: str = ""
    # For FAILED with a runtime error: the formatted traceback, true file/line.
    traceback: str = ""
    changed_names: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReloadResult:
        return cls(**data)


def empty_delta() -> dict[str, Any]:
    return {"added": {}, "removed": []}
