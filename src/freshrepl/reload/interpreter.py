"""Whether this interpreter behaves as the reload engine expects: probed, never assumed.

The engine reads byte code (which globals a builder writes, whether a nested
function's own code changed) and swaps ``__code__`` on live functions.  Those
details change between Python versions, and freshrepl is tested on 3.10-3.13
only.  Rather than trust a version number, the engine runs a few small probes
once, on the first reload: each builds a tiny function whose answer is known
and checks that the engine's own readings give it.  If any probe fails, the
interpreter is one the engine does not understand, and every reload is refused
out loud with the probe's reason (a restart always picks up the change), never
applied on guesses.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

_NOT_PROBED = "not probed"
_gap: str | None = _NOT_PROBED


def _compiled(source: str, name: str, namespace: dict | None = None) -> types.FunctionType:
    scope: dict = {} if namespace is None else namespace
    exec(compile(source, "<freshrepl probe>", "exec"), scope)
    return scope[name]


def _probe_code_swap() -> str | None:
    """A live function takes another code object with the same free variables."""
    fn = _compiled("def f():\n    return 1\n", "f")
    fn.__code__ = _compiled("def f():\n    return 2\n", "f").__code__
    return None if fn() == 2 else "assigning __code__ does not change what a function runs"


def _probe_builder_reading() -> str | None:
    """The byte-code reading that decides whether a builder kept a record sees the
    writes (a global, an item, a method call on a global) and lets a pure one pass."""
    from freshrepl.reload.records import hook_may_record

    namespace: dict = {"REGISTRY": []}
    recording = {
        "a method call on a global": "def hook(cls):\n    REGISTRY.append(cls)\n",
        "a global written": "def hook(cls):\n    global SEEN\n    SEEN = cls\n",
        "an item written": "def hook(cls, table={}):\n    table[cls] = 1\n",
        "an import": "def hook(cls):\n    import os\n",
    }
    for what, source in recording.items():
        if not hook_may_record(_compiled(source, "hook", dict(namespace))):
            return f"its byte code hides {what} from the engine's reading"
    pure = _compiled("def hook(cls):\n    return cls.__name__\n", "hook", dict(namespace))
    if hook_may_record(pure):
        return "its byte code makes a pure function look like it keeps records"
    return None


def _probe_code_comparison() -> str | None:
    """Comparing a function's own code ignores line moves and sees real edits."""
    from freshrepl.reload.closures import own_changed

    base = "def f(items):\n    return [x + 1 for x in items if x]\n"
    moved = "\n\n" + base
    edited = base.replace("x + 1", "x + 2")
    old, new_moved, new_edited = (_compiled(s, "f").__code__ for s in (base, moved, edited))
    if own_changed(old, new_moved):
        return "its code objects differ when only their lines moved"
    if not own_changed(old, new_edited):
        return "its code objects look the same after a real edit"
    return None


PROBES: tuple[Callable[[], str | None], ...] = (
    _probe_code_swap, _probe_builder_reading, _probe_code_comparison,
)


def unsupported_reason() -> str | None:
    """None if this interpreter passes every probe, else why reloads must be refused.

    Probed once per process; the answer names the interpreter so the user can
    tell it apart from a problem in their own code."""
    global _gap
    if _gap == _NOT_PROBED:
        _gap = _first_gap()
    return _gap


def _first_gap() -> str | None:
    for probe in PROBES:
        try:
            gap = probe()
        except Exception as exc:  # an interpreter that breaks a probe is not understood
            gap = f"a probe of its internals failed ({type(exc).__name__}: {exc})"
        if gap is not None:
            version = sys.version.split()[0]
            return (f"this Python ({version}) is not one freshrepl's reload engine understands: "
                    f"{gap}; reloads are refused, :restart picks up the change")
    return None


def forget() -> None:
    """Probe again on the next call (for tests)."""
    global _gap
    _gap = _NOT_PROBED
