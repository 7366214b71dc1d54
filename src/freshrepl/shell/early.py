"""Inputs typed at the early prompt, read before the line editor (prompt_toolkit) is loaded.

The shell writes ``>>> `` and starts the kernel before it imports
prompt_toolkit, so a person who types at once should not wait for the
editor.  ``EarlyReader`` reads the held keys, echoes them, and hands out each
complete one-line input (complete by python3's rule, ``codeop``) for the shell
to run while the editor loads.  Anything else -- an editing or control key,
an escape sequence, a line that needs more (``def f():``) -- stops it, and every
byte not yet used goes to the editor as typed-ahead input, exactly as if the
editor had been reading from the start.  This module must stay free of
prompt_toolkit.
"""

from __future__ import annotations

import codeop
import os
import select
import warnings

from freshrepl.shell.terminal import STDIN, write

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
            return codeop.compile_command(source, "<stdin>", "single") is not None
    except (SyntaxError, ValueError, OverflowError):
        return True  # let the kernel report it, as python3 would


class EarlyReader:
    """Complete lines typed before the editor is up; stops when ``wake_fd`` becomes readable."""

    def __init__(self, wake_fd: int) -> None:
        self.wake_fd = wake_fd
        self.stopped = False
        self._line = bytearray()  # typed and echoed, not yet complete
        self._pending = b""  # read, not yet looked at

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

    def leftover(self) -> bytes:
        """Every byte read but not run, for the editor (the partial line, as typed, first)."""
        data, self._line, self._pending = bytes(self._line) + self._pending, bytearray(), b""
        return data

    def _scan(self) -> str | None:
        """Echo the printable keys read; a line end after a complete input yields it."""
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
        text = self._line.decode("ascii")
        if self._pending[0] in _LINE_ENDS and is_complete(text):
            self._pending = self._pending[1:]
            self._line.clear()
            return text
        self.stopped = True  # an editing key or an unfinished block: the editor's work
        return None
