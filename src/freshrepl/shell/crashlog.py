"""The crash log: where an internal error of the shell is written in full, and the line the user sees."""

from __future__ import annotations

import os
import traceback

TYPE_CHECKING = False
if TYPE_CHECKING:
    from freshrepl.shell.terminal import Terminal


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


def report_crash(exc: BaseException, terminal: Terminal) -> int:
    """An internal error: one line for the user, the details in the log; the exit status."""
    from freshrepl.shell.terminal import write

    log = log_crash(exc)
    terminal.restore()
    if terminal.is_tty:
        write("\x1b[?2004l")  # bracketed paste off: the early prompt may have turned it on
    write(f"\nfreshrepl: internal error: {exc!r}{f'; details in {log}' if log else ''}\n")
    return 1
