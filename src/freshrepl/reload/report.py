"""Turning reload outcomes and errors into ``ReloadResult`` fields (notice text, tracebacks)."""

from __future__ import annotations

import os
import traceback

import freshrepl

_OURS = os.path.dirname(os.path.abspath(freshrepl.__file__)) + os.sep


def summarize(described: list[tuple[str, str]]) -> str:
    """``"f changed, LIMIT added"``; with many, ``"f, g and 5 more changed"``."""
    # One verb per name, the first: a function added and then given its code
    # from the whole file (for true line numbers) was added, not also changed.
    first: dict[str, str] = {}
    for name, verb in described:
        first.setdefault(name, verb)
    unique = list(first.items())
    if not unique:
        return "no code changed"
    if len(unique) <= 3:
        return ", ".join(f"{name} {verb}" for name, verb in unique)
    names = list(dict.fromkeys(name for name, _ in unique))
    verbs = {verb for _, verb in unique}
    verb = verbs.pop() if len(verbs) == 1 else "changed"
    return f"{names[0]}, {names[1]} and {len(names) - 2} more {verb}"


def syntax_error_fields(exc: SyntaxError, path: str) -> dict[str, str]:
    """location / error / traceback for a file that does not compile."""
    filename = exc.filename or path
    return {
        "location": f"{os.path.basename(filename)}:{exc.lineno or 1}",
        "error": f"{type(exc).__name__}: {exc.msg}",
        "traceback": "".join(traceback.format_exception_only(type(exc), exc)),
    }


def _is_ours(frame: traceback.FrameSummary) -> bool:
    return os.path.abspath(frame.filename).startswith(_OURS)


def first_line(exc: BaseException) -> str:
    """``Type: first line of the message``, the type named as Python's traceback names it
    (``werkzeug.routing.exceptions.BuildError``; builtins bare)."""
    kind = type(exc)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = f"{kind.__module__}.{name}"
    try:
        message = str(exc)
    except Exception:  # an exception whose __str__ raises: its type says enough
        message = ""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return f"{name}: {lines[0]}" if lines else name


def runtime_error_fields(exc: BaseException, path: str) -> dict[str, str]:
    """location / error / traceback for changed code that raised, without our frames."""
    info = traceback.TracebackException.from_exception(exc)
    frames = [f for f in info.stack if not _is_ours(f)]
    info.stack = traceback.StackSummary.from_list(frames)
    in_file = [f for f in frames if f.filename == path] or frames
    lineno = in_file[-1].lineno if in_file else 0
    where = in_file[-1].filename if in_file else path
    error = first_line(exc)
    return {
        "location": f"{os.path.basename(where)}:{lineno}",
        "error": error,
        "traceback": "".join(info.format()),
    }
