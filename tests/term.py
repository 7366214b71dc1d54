"""The pty driver shared by the tests and the benchmarks: freshrepl (or python3) in a real terminal.

Two layers.  ``spawn_child``, ``answered`` and ``leave`` work on raw bytes
with pexpect: cheap enough for the benchmarks' timings.  ``Term`` adds a
terminal emulator (pyte): prompt_toolkit draws with cursor moves and erases,
so the screen is what a person sees only after an emulator has applied them.
Every wait is on something appearing (or the process ending), with a timeout.
``Term``'s screen answers the queries a program sends its terminal, late.
The benchmarks import this module from ``bench/`` by path.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pyte

SRC = str(Path(__file__).resolve().parent.parent / "src")
DEFAULT_TIMEOUT = 15.0
# A slow terminal (or link): its reply to a query (the cursor position) comes this
# long after the query, or right after keys typed meanwhile, whichever is first.
REPLY_DELAY = 0.1
# A primary prompt at the start of a line (trailing blanks are trimmed from text()).
_PROMPT = re.compile(r"^>>>(?: |$)", re.M)


def freshrepl_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m freshrepl``."""
    script = os.path.join(os.path.dirname(sys.executable), "freshrepl")
    if os.path.exists(script):
        return [script]
    return [sys.executable, "-m", "freshrepl"]


def other_python() -> tuple[str, tuple[int, int]] | None:
    """A supported CPython (3.10-3.13) of another minor version than this one, if any.

    Looked for on PATH (``python3.X``) and among pyenv's versions; the version is
    asked of the interpreter itself.
    """
    candidates = [shutil.which(f"python3.{minor}") for minor in range(10, 14)]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    versions = Path(pyenv_root) / "versions"
    if versions.is_dir():
        candidates += sorted(str(p / "bin" / "python3") for p in versions.iterdir())
    for path in filter(None, candidates):
        version = _python_version(path)
        if version and version != sys.version_info[:2] and (3, 10) <= version <= (3, 13):
            return path, version
    return None


def _python_version(path: str) -> tuple[int, int] | None:
    import subprocess

    try:
        out = subprocess.run([path, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=10).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with its own HOME and XDG dirs, so tests touch nothing real."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "XDG_", "FRESHREPL"))}
    env.pop("NO_COLOR", None)
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        TERM="xterm",
        PYTHONPATH=SRC,
        PYTHONDONTWRITEBYTECODE="1",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )
    env.update(extra)
    return env


def spawn_child(command: list[str], env: dict[str, str], cwd: Path | str,
                rows: int = 40, cols: int = 110, timeout: float = 30) -> pexpect.spawn:
    """``command`` started in a new pty; keys are sent without pexpect's usual delay."""
    child = pexpect.spawn(command[0], command[1:], cwd=str(cwd), env=env,
                          dimensions=(rows, cols), timeout=timeout)
    child.delaybeforesend = None
    return child


def answered(value: str) -> re.Pattern[bytes]:
    """Raw output: ``value`` printed on a line of its own, then the next primary prompt."""
    escape = rb"(?:\x1b\[[0-9;?]*[A-Za-z])*"
    return re.compile(rb"\n" + escape + re.escape(value.encode()) + escape + rb"\r?\n.*?>>>",
                      re.S)


def leave(child: pexpect.spawn, timeout: float = 10) -> None:
    """Ctrl-D, wait for the end (a stuck program is killed)."""
    try:
        child.sendeof()
        child.expect(pexpect.EOF, timeout=timeout)
    except (pexpect.TIMEOUT, OSError):
        pass
    child.close(force=True)


class Term:
    """One freshrepl process in a pty, with the screen it draws."""

    def __init__(
        self,
        args: list[str],
        cwd: Path,
        env: dict[str, str],
        rows: int = 40,
        cols: int = 110,
        command: list[str] | None = None,
    ) -> None:
        """freshrepl with ``args`` in a pty (or ``command``, another program, beside it)."""
        self.screen = _AnsweringScreen(cols, rows, history=2000)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""
        command = freshrepl_command() + args if command is None else command
        self.child = spawn_child(command, env, cwd, rows, cols)
        self.child.delaybeforesend = 0.05  # pexpect's default: tests type like a person
        self._replies_due: float | None = None

    # -- reading ----------------------------------------------------------------

    def pump(self, wait: float = 0.05) -> bool:
        """Feed whatever the program wrote to the emulator; False once it has ended."""
        try:
            data = self.child.read_nonblocking(65536, timeout=wait)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        self.raw += data
        try:
            self.stream.feed(data)
        except TypeError:  # pyte fails on some sequences (CSI 1;5C): the rest of this chunk is lost
            self.stream = pyte.ByteStream(self.screen)
        if self.screen.replies and self._replies_due is None:
            self._replies_due = time.monotonic() + REPLY_DELAY
        if self._replies_due is not None and time.monotonic() >= self._replies_due:
            self._answer()
        return True

    def _answer(self) -> None:
        """Send the replies to the terminal queries read so far."""
        replies, self.screen.replies, self._replies_due = self.screen.replies, [], None
        if replies and self.child.isalive():
            self.child.send("".join(replies))

    def text(self) -> str:
        """Everything on screen and scrolled off it, trailing blanks removed."""
        top = [_row(line, self.screen.columns) for line in self.screen.history.top]
        lines = top + list(self.screen.display)
        return "\n".join(line.rstrip() for line in lines).rstrip("\n")

    def wait_for(self, what: str | re.Pattern[str] | Callable[[str], bool],
                 timeout: float = DEFAULT_TIMEOUT, after: int = 0) -> str:
        """Wait until the screen text (from offset ``after``) shows ``what``."""
        check = _matcher(what)
        deadline = time.monotonic() + timeout
        alive = True
        while True:
            text = self.text()
            if check(text[after:]):
                return text
            if not alive or time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what!r}; screen was:\n{text}"
                    if alive else f"program ended before {what!r}; screen was:\n{text}"
                )
            alive = self.pump()

    def wait_prompt(self, count: int, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Wait until at least ``count`` primary prompts have been drawn."""
        return self.wait_for(lambda t: len(_PROMPT.findall(t)) >= count, timeout)

    def prompts(self) -> int:
        return len(_PROMPT.findall(self.text()))

    def mark(self) -> int:
        """An offset in ``text()``; pass it as ``after`` to look only at what comes next.

        It is the start of the last line: the shell may erase and redraw the
        prompt it is showing (to print a notice above it), never what came before.
        """
        text = self.text()
        return text.rfind("\n") + 1

    # -- typing -----------------------------------------------------------------

    def send(self, keys: str) -> None:
        self.child.send(keys)
        self._answer()  # a slow terminal's reply, overtaken by the keys typed

    def line(self, text: str) -> None:
        self.send(text + "\r")

    def at_prompt(self) -> bool:
        """Is the last line drawn an empty primary prompt (the shell waiting for input)?"""
        lines = self.text().split("\n")
        return bool(lines) and lines[-1] == ">>>"

    def wait_editor(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until the line editor has drawn (before it, the early prompt reads plain lines)."""
        self.wait_for(lambda _: b"\x1b[?25h" in self.raw, timeout)

    def wait_idle(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.wait_for(lambda _: self.at_prompt(), timeout)

    def run(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Type an input line, press Enter, wait for the next prompt; return what it printed."""
        self.wait_idle(timeout)
        before = self.prompts()
        self.line(text)
        self.wait_for(lambda _: self.prompts() > before and self.at_prompt(), timeout)
        lines = self.text().split("\n")
        starts = [i for i, line in enumerate(lines) if _PROMPT.match(line)]
        return "\n".join(lines[starts[-2] + 1 : starts[-1]])

    def wait_exit(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while self.pump() and time.monotonic() < deadline:
            pass
        self.child.expect(pexpect.EOF, timeout=max(0.1, deadline - time.monotonic()))
        self.child.close()
        return self.child.exitstatus if self.child.exitstatus is not None else -self.child.signalstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


class _AnsweringScreen(pyte.HistoryScreen):
    """A screen that answers what a program asks of its terminal (the cursor's position)."""

    def __init__(self, columns: int, lines: int, history: int) -> None:
        super().__init__(columns, lines, history=history)
        self.replies: list[str] = []
        self.queries = 0

    def report_device_status(self, mode: int, *args: object, **kwargs: object) -> None:
        self.queries += 1
        super().report_device_status(mode)

    def write_process_input(self, data: str) -> None:
        self.replies.append(data)


JOB_PROMPT = "jobshell$"  # the prompt of the bash that ``job_shell`` (conftest) runs freshrepl in


def wait_stopped(shell: Term) -> None:
    """bash says the job stopped, and the kernel (freshrepl's child) is stopped too."""
    after = shell.mark()
    shell.wait_for(re.compile(r"Stopped.*\n" + re.escape(JOB_PROMPT)), after=after)
    shell.line('echo "kernel state: $(ps -o stat= --ppid $(jobs -p %1))"')
    shell.wait_for(re.compile(r"^kernel state: T", re.M), after=after)


def _row(line: dict, columns: int) -> str:
    return "".join(line[x].data if x in line else " " for x in range(columns))


def _matcher(what: str | re.Pattern[str] | Callable[[str], bool]) -> Callable[[str], bool]:
    if callable(what):
        return what
    if isinstance(what, re.Pattern):
        return lambda text: what.search(text) is not None
    return lambda text: what in text


def python_executable() -> str:
    return shutil.which("python3") or sys.executable
