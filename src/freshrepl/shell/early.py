"""Inputs typed at the early prompt, read before the line editor (prompt_toolkit) is loaded.

The shell writes ``>>> `` and starts the kernel before it imports
prompt_toolkit, so a person who types at once should not wait for the
editor.  ``EarlyReader`` reads the held keys, echoes them as python3 would
(``... `` before the lines of a block), and hands out each complete input
(complete by python3's rule, ``codeop``) for the shell to run while the editor
loads.  Anything else -- an editing or control key, an escape sequence --
stops it, and every byte not yet run goes to the editor as typed-ahead input,
exactly as if the editor had been reading from the start.  This module must
stay free of prompt_toolkit.  ``run_typed_ahead`` is that stretch of the
session: the editor loads in a thread while the lines typed run.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import warnings

from freshrepl.compiler import AwaitCompiler
from freshrepl.shell.terminal import STDIN, drain_cooked_input, push_input, write

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from freshrepl.shell.live_reload import LiveReload
    from freshrepl.shell.terminal import Terminal

    class TakesTypeahead(Protocol):
        """The editor as the early prompt hands over to it (``editor.Editor``)."""

        def add_history(self, text: str) -> None: ...
        def take_typeahead(self, data: bytes) -> None: ...

    class StartingShell(Protocol):
        """What of the shell runs the lines typed before the editor is up (``loop.Shell``)."""

        terminal: Terminal

        def load_editor(self) -> None: ...
        def loaded_editor(self) -> TakesTypeahead: ...
        def dispatch(self, text: str) -> None: ...
        def live_reload(self) -> LiveReload: ...

INDENT = "    "
_DEDENT_AFTER = ("return", "pass", "raise", "break", "continue")
_PRINTABLE = range(0x20, 0x7F)  # plain ASCII: echoed as typed, one column each
_LINE_ENDS = (0x0D, 0x0A)


def is_complete(text: str) -> bool:
    """Would python3 run this input now (rather than print ``... `` for more)?"""
    lines = text.split("\n")
    if len(lines) > 1 and not lines[-1].strip():
        lines[-1] = ""  # an auto-indented empty line counts as the blank line
    source = "\n".join(lines)
    if not source.strip() or (len(lines) == 1 and source.lstrip().startswith(":")):
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # A fresh compiler: no ``from __future__`` state carried between inputs.
            return AwaitCompiler()(source, "<stdin>", "single") is not None
    except (SyntaxError, ValueError, OverflowError):
        return True  # let the kernel report it, as python3 would


def next_indent(line: str) -> str:
    """Indentation for the line after ``line`` (the editor puts it there by itself)."""
    indent = line[: len(line) - len(line.lstrip())]
    code = line.split("#", 1)[0].rstrip()
    if code.endswith(":"):
        return indent + INDENT
    if code.lstrip().split(" ", 1)[0] in _DEDENT_AFTER:
        return indent[: max(0, len(indent) - len(INDENT))]
    return indent


def submitted_text(text: str) -> str:
    """The input as run: without the blank line(s) that ended a block."""
    lines = text.split("\n")
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


class EarlyReader:
    """Complete lines typed before the editor is up; stops when ``wake_fd`` becomes readable."""

    def __init__(self, wake_fd: int) -> None:
        self.wake_fd = wake_fd
        self.stopped = False
        self._lines: list[str] = []  # the finished lines of an unfinished block, indented
        self._typed = bytearray()  # the keys that made them (the editor indents by itself)
        self._indent = ""  # put before the current line, as the editor would
        self._line = bytearray()  # typed and echoed, not yet complete
        self._pending = b""  # read, not yet looked at

    @property
    def lines_shown(self) -> int:
        """Lines of the unfinished input above the cursor's (the editor redraws from the first)."""
        return len(self._lines)

    def next_line(self) -> str | None:
        """The next complete line (without its Enter); None once the editor takes over."""
        while not self.stopped:
            line = self._scan()
            if line is not None or self.stopped:
                return line
            readable, _, _ = select.select([STDIN, self.wake_fd], [], [])
            if STDIN in readable:
                data = os.read(STDIN, 4096)
                if not data:
                    # A Ctrl-D typed before the keys were held (the line discipline
                    # took it as end-of-file): the editor gets it as the key.
                    data = b"\x04"
                self._pending += data
            elif self.wake_fd in readable:
                self.stopped = True
        return None

    def add_typed(self, data: bytes) -> None:
        """Keys read elsewhere (while an input ran): looked at before the terminal's next ones."""
        self._pending += data

    def take_pending(self) -> bytes:
        """The bytes read after the line just handed out (not looked at yet), taken."""
        pending, self._pending = self._pending, b""
        return pending

    def leftover(self) -> bytes:
        """Every byte read but not run, for the editor (the unfinished input, as typed, first)."""
        data = bytes(self._typed + self._line) + self._pending
        self._lines, self._typed, self._line, self._pending = [], bytearray(), bytearray(), b""
        return data

    def _scan(self) -> str | None:
        """Echo the printable keys read; a line end that completes the input yields it."""
        while True:
            count = 0
            for byte in self._pending:
                if byte not in _PRINTABLE:
                    break
                count += 1
            if count:
                chunk, self._pending = self._pending[:count], self._pending[count:]
                self._line += chunk
                write(chunk.decode("ascii"))
            if not self._pending:
                return None
            if self._pending[0] not in _LINE_ENDS:
                self.stopped = True  # an editing or control key: the editor's work
                return None
            self._pending = self._pending[1:]
            line = self._indent + self._line.decode("ascii")
            lines = [*self._lines, line]
            if is_complete("\n".join(lines)):
                self._lines, self._typed, self._indent = [], bytearray(), ""
                self._line.clear()
                return submitted_text("\n".join(lines))
            # A block goes on: "... " and the indentation the editor would give.
            self._lines, self._indent = lines, next_indent(line)
            self._typed += self._line + b"\r"
            self._line.clear()
            write("\n... " + self._indent)


def run_typed_ahead(shell: StartingShell) -> None:
    """Load the editor in a thread; meanwhile run the simple lines typed at the early prompt.

    The rest of what was typed goes to the editor, which starts from it.
    """
    loader = _EditorLoader(shell.load_editor)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # keys typed meanwhile are echoed without a lag
    reader, ran = EarlyReader(loader.wake_fd), []
    try:
        while (text := reader.next_line()) is not None:
            _run_early(shell, text, reader)
            ran.append(text)
    finally:
        sys.setswitchinterval(switch)
    loader.join()
    for text in ran:
        shell.loaded_editor().add_history(text)
    if reader.lines_shown:  # the editor draws an unfinished block again, from its top
        write(f"\r\x1b[{reader.lines_shown}A")
    shell.loaded_editor().take_typeahead(reader.leftover())


def _run_early(shell: StartingShell, text: str, reader: EarlyReader) -> None:
    """One line typed at the early prompt, run as the loop would; then the next prompt."""
    write("\n")
    shell.terminal.restore()
    # Keys read after this line's Enter: for the code's input(), as in python3 (else
    # the next line, where they cannot be put back).
    after = reader.take_pending()
    reader.add_typed(push_input(after))
    shell.dispatch(text)
    shell.live_reload()  # watch what it imported now: the editor's loop is not up yet
    reader.add_typed(drain_cooked_input())  # first: a Ctrl-D typed meanwhile stays a key
    shell.terminal.hold_input()
    write(">>> ")


class _EditorLoader:
    """Runs ``load`` in a thread; ``wake_fd`` becomes readable when it is done."""

    def __init__(self, load: Callable[[], None]) -> None:
        self.wake_fd, self._wake_write = os.pipe()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(load,), name="freshrepl-load-editor", daemon=True
        )
        self._thread.start()

    def join(self) -> None:
        """Wait for the load; raise what it raised."""
        self._thread.join()
        os.close(self.wake_fd)
        os.close(self._wake_write)
        if self._failure is not None:
            raise self._failure

    def _run(self, load: Callable[[], None]) -> None:
        try:
            load()
        except BaseException as exc:  # raised again by join(), in the main thread
            self._failure = exc
        finally:
            os.write(self._wake_write, b"!")
