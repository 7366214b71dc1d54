"""The persistent input history: where it lives and how it is read and appended.

One file shared by every freshrepl on the machine.  Entries are only ever
appended (one ``open(..., "a")`` and one write per entry), so two shells open
at once both keep their lines and a file we cannot parse is never rewritten.
The file is created readable by its owner only: it holds whatever was typed.

An accepted input is in the history (Up finds it) at once, but reaches the
file only at ``write_pending()``: the shell calls it right after the input is
sent to the kernel (the file write then overlaps the run instead of
delaying it), before a meta-command runs, and when it closes.
"""

from __future__ import annotations

import os
import stat
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from datetime import datetime

from prompt_toolkit.auto_suggest import AutoSuggest, Suggestion
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.history import History

HISTORY_ENV = "FRESHREPL_HISTORY"


def history_path(environ: dict[str, str] | None = None) -> str:
    """``$FRESHREPL_HISTORY``, else ``$XDG_STATE_HOME/freshrepl/history``."""
    env = os.environ if environ is None else environ
    if env.get(HISTORY_ENV):
        return os.path.expanduser(env[HISTORY_ENV])
    state = env.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "freshrepl", "history")


class SafeFileHistory(History):
    """A FileHistory that warns once instead of failing on an unusable file."""

    def __init__(self, path: str, warn: Callable[[str], None], limit: int | None = None) -> None:
        super().__init__()
        self.path = path
        self.limit = limit  # load only this many of the newest entries (None: all)
        self._warn = warn
        self._warned = False
        self._unwritten: list[str] = []  # appended, not yet in the file (write_pending)

    def load_history_strings(self) -> Iterable[str]:
        try:
            with open(self.path, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    # A device or a pipe (/dev/full reads zeros for ever): never read it.
                    self._warn_once(f"history file {self.path} is not a regular file; "
                                    "earlier sessions' lines are not loaded")
                    return []
                data = f.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            self._warn_once(f"cannot read history file {self.path}: {exc.strerror}")
            return []
        try:
            text, damaged = data.decode("utf-8"), False
        except UnicodeDecodeError:
            text, damaged = data.decode("utf-8", errors="replace"), True
        if damaged or not looks_like_history(text):
            self._warn_once(f"history file {self.path} is damaged; read what could be read "
                            "(it is only ever appended to, never rewritten)")
        newest_first = list(reversed(parse_history(text)))  # as prompt_toolkit wants them
        return newest_first if self.limit is None else newest_first[: self.limit]

    def store_string(self, string: str) -> None:
        """Kept for ``write_pending``: no file work on the way from Enter to the run."""
        self._unwritten.append(string)

    def write_pending(self) -> None:
        """Append the entries accepted since the last call to the file, in one write."""
        if not self._unwritten:
            return
        entries, self._unwritten = self._unwritten, []
        try:
            _ensure_private_file(self.path)
            with open(self.path, "a", encoding="utf-8", errors="replace") as f:
                f.write("".join(format_entry(string) for string in entries))
        except OSError as exc:
            self._warn_once(f"cannot write history file {self.path}: {exc.strerror}; "
                            "this session's lines will not be saved")

    def _warn_once(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self._warn(message)


def write_pending(history: History) -> None:
    """The entries accepted since the last call go to the file now (a ``SafeFileHistory``'s)."""
    if isinstance(history, SafeFileHistory):
        history.write_pending()


def format_entry(text: str) -> str:
    """One entry in prompt_toolkit's FileHistory format: a ``#`` stamp, ``+`` lines."""
    lines = "".join(f"+{line}\n" for line in text.split("\n"))
    return f"\n# {datetime.now()}\n{lines}"


def parse_history(text: str) -> list[str]:
    """Entries, oldest first; lines that are not ours are skipped, never fatal."""
    entries: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.startswith("+"):
            current.append(line[1:])
        elif current:
            entries.append("\n".join(current))
            current = []
    if current:
        entries.append("\n".join(current))
    return entries


def looks_like_history(text: str) -> bool:
    """Every line is a ``#`` stamp, a ``+`` entry line, or blank."""
    return all(not line or line[0] in "#+" for line in text.split("\n"))


def _ensure_private_file(path: str) -> None:
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)


class HistorySuggest(AutoSuggest):
    """Fish-style suggestions: the newest history line that starts with the line being typed.

    prompt_toolkit's own scans every entry on every key (5 ms a key with ten
    thousand entries); here the lines are kept sorted, so a key costs a
    binary search and a look at the lines sharing the prefix.  New entries
    are added as they come; anything else (the history still loading) rebuilds.
    """

    def __init__(self) -> None:
        self._sorted: list[str] = []  # every distinct line, sorted
        self._newest: dict[str, tuple[int, int]] = {}  # line -> (entry, line in it): higher is newer
        self._count = 0  # entries indexed
        self._first: str | None = None  # the oldest and newest entries indexed (their identity)
        self._last: str | None = None

    def get_suggestion(self, buffer: Buffer, document: Document) -> Suggestion | None:
        text = document.text.rsplit("\n", 1)[-1]
        if not text.strip():
            return None
        self._update(buffer.history.get_strings())  # oldest first
        start = bisect_left(self._sorted, text)
        end = bisect_left(self._sorted, text + "\U0010ffff", start)
        matches = [line for line in self._sorted[start:end] if line != text]
        if not matches:
            return None
        return Suggestion(max(matches, key=self._newest.__getitem__)[len(text):])

    def _update(self, entries: list[str]) -> None:
        # Grown at the end only (new inputs) if the oldest and the last indexed entry are still in place.
        grown = len(entries) >= self._count and (
            self._count == 0 or (entries[0] is self._first and entries[self._count - 1] is self._last))
        if not grown:
            self._sorted, self._newest, self._count = [], {}, 0
        bulk = len(entries) - self._count > 64  # sorting once beats many insertions
        for rank in range(self._count, len(entries)):
            for number, line in enumerate(entries[rank].split("\n")):
                if not bulk and line not in self._newest:
                    insort(self._sorted, line)
                self._newest[line] = (rank, number)
        if bulk:
            self._sorted = sorted(self._newest)
        self._count = len(entries)
        self._first, self._last = (entries[0], entries[-1]) if entries else (None, None)
