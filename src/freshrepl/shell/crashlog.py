"""The crash log: where an internal error of the shell is written in full."""

from __future__ import annotations

import os
import traceback


def crash_log_path() -> str:
    state = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return os.path.join(state, "freshrepl", "crash.log")


def log_crash(exc: BaseException) -> str | None:
    """Append ``exc``'s traceback to the crash log; its path, or None if it cannot be written."""
    path = crash_log_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a") as f:
            f.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    except OSError:
        return None
    return path
