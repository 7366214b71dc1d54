"""The shell's raw terminal chores: saving and restoring modes, early input, one-key answers.

Everything here works before prompt_toolkit is imported, which is what lets
the first prompt appear while the rest of the shell is still loading.
"""

from __future__ import annotations

import os
import sys
import termios
from typing import Any

STDIN = 0


class Terminal:
    """The controlling terminal as the shell found it."""

    def __init__(self) -> None:
        self.is_tty = os.isatty(STDIN) and os.isatty(1)
        self._saved = termios.tcgetattr(STDIN) if self.is_tty else None

    @property
    def mode_found(self) -> list[Any] | None:
        """The terminal's mode when the shell started (None when stdin is not a terminal)."""
        return self._saved

    def restore(self) -> None:
        """Back to the mode we found (the kernel may have left it raw or silent)."""
        if self._saved is not None:
            try:
                termios.tcsetattr(STDIN, termios.TCSANOW, self._saved)
            except termios.error:
                pass

    def write(self, text: str) -> None:
        write(text)

    def columns(self) -> int:
        try:
            return os.get_terminal_size(1).columns or 80
        except OSError:
            return 80

    def hold_input(self) -> None:
        """Keep keys typed before the editor starts queued, unechoed and unaltered.

        Non-canonical, no echo, no signals, no CR translation: the queued bytes
        then reach prompt_toolkit exactly as if it had been reading all along.
        """
        if self._saved is not None:
            hold_input()

    def ask_yes_no(self, question: str, default: bool = True) -> bool:
        """Ask with one key: y, n, or Enter for the default; Ctrl-C or Ctrl-D is no."""
        write(question + " ")
        if self._saved is None:
            return default
        self.hold_input()
        try:
            while True:
                key = os.read(STDIN, 1)
                if key in (b"y", b"Y") or (key in (b"\r", b"\n") and default):
                    answer = True
                elif key in (b"n", b"N", b"\x03", b"\x04", b"") or key in (b"\r", b"\n"):
                    answer = False
                else:
                    continue
                write(("y" if answer else "n") + "\n")
                return answer
        finally:
            self.restore()


def hold_input() -> list[Any]:
    """See ``Terminal.hold_input``; stdin must be a terminal. Returns the mode before."""
    before = termios.tcgetattr(STDIN)
    mode = termios.tcgetattr(STDIN)
    mode[0] &= ~(termios.ICRNL | termios.IXON)
    mode[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)
    mode[6][termios.VMIN] = 1
    mode[6][termios.VTIME] = 0
    termios.tcsetattr(STDIN, termios.TCSANOW, mode)
    return before


def set_mode(mode: list[Any]) -> None:
    """Put the terminal back in ``mode`` (from ``hold_input``)."""
    try:
        termios.tcsetattr(STDIN, termios.TCSANOW, mode)
    except termios.error:
        pass


def write(text: str) -> None:
    """Straight to the terminal, unbuffered (the kernel writes there too)."""
    data = text.encode(sys.stdout.encoding or "utf-8", errors="replace")
    while data:
        try:
            written = os.write(1, data)
        except InterruptedError:
            continue
        data = data[written:]
