"""The shell's raw terminal chores: saving and restoring modes, early input, one-key answers.

Everything here works before prompt_toolkit is imported, which is what lets
the first prompt appear while the rest of the shell is still loading.
"""

from __future__ import annotations

import os
import sys
import termios

TYPE_CHECKING = False  # typing loads after the kernel's spawn (loop.py)
if TYPE_CHECKING:
    from typing import Any

STDIN = 0
_NARROW = 40  # no message this short needs wrapping (and none loads wrap.py)


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
        """A message of the shell's: its long lines broken between words (see wrap.py)."""
        if self.is_tty and len(text) > _NARROW:
            from freshrepl.shell.wrap import wrap

            text = wrap(text, self.columns())
        write(text)

    def columns(self) -> int:
        try:
            return os.get_terminal_size(1).columns or 80
        except OSError:
            return 80

    def finish_output_line(self) -> None:
        """Keep output that did not end in a newline (``print(x, end="")``) visible."""
        write(self.output_line_end())

    def output_line_end(self) -> str:
        """What ``finish_output_line`` writes, for writing it together with what follows.

        The editor draws its prompt from column 0.  Writing one column less
        than the terminal's width and a carriage return moves to a new line
        only if the cursor was not already at column 0 (the text wraps).
        """
        return " " * (self.columns() - 1) + "\r" if self.is_tty else ""

    def hold_input(self) -> None:
        """Keep keys typed before the editor starts queued, unechoed and unaltered.

        Non-canonical, no echo, no signals, no CR translation: the queued bytes
        then reach prompt_toolkit exactly as if it had been reading all along.
        """
        if self._saved is not None:
            hold_input()

    def page(self, text: str) -> None:
        """Show ``text``; through ``$PAGER`` (else ``less``) when it is taller than the terminal."""
        try:
            rows = os.get_terminal_size(1).lines
        except OSError:
            rows = 0
        if self._saved is None or not rows or text.count("\n") + 2 < rows:
            write(text.rstrip("\n") + "\n")
            return
        import shlex
        import subprocess

        self.restore()  # the pager wants the terminal as the user's shell left it
        command = shlex.split(os.environ.get("PAGER") or "less")
        # less: let colours through (the user's own $LESS wins).
        env = {**os.environ, "LESS": os.environ.get("LESS", "-R")}
        try:
            subprocess.run(command, input=text.encode(sys.stdout.encoding or "utf-8", "replace"),
                           env=env, check=False)
        except OSError:
            write(text.rstrip("\n") + "\n")  # no pager to be found: print it all

    def ask_yes_no(self, question: str, default: bool = True, eof: bool = False) -> bool:
        """Ask with one key: y, n, or Enter for the default; Ctrl-C is no, Ctrl-D is ``eof``.

        Any other key means the person is typing something else (a line begun
        before the question appeared): no key answers until that line's
        Enter, and then the question is asked again.
        """
        write(question + " ")
        if self._saved is None:
            return default
        self.hold_input()
        try:
            typing_else = False
            while True:
                key = os.read(STDIN, 1)
                if key in (b"\x04", b""):
                    answer = eof
                elif key == b"\x03":
                    answer = False
                elif typing_else:
                    if key in (b"\r", b"\n"):
                        typing_else = False
                        write(f"\n  (what was typed is not an answer: press y or n)\n{question} ")
                    continue
                elif key in (b"y", b"Y") or (key in (b"\r", b"\n") and default):
                    answer = True
                elif key in (b"n", b"N") or key in (b"\r", b"\n"):
                    answer = False
                else:
                    typing_else = True
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


def drain_cooked_input() -> bytes:
    """What was typed while code ran, with each Ctrl-D kept as a key (before input is held).

    While code runs the terminal is in its cooked mode, where Ctrl-D is not a
    character but an end-of-file mark; switched to raw mode, the editor would
    see a NUL instead and the Ctrl-D would be lost (python3 ends the session
    on it).  So the whole lines and end-of-file marks typed so far are read
    now, each mark given back as a Ctrl-D byte.
    """
    if not os.isatty(STDIN):
        return b""
    import select  # not at start-up: the first prompt comes before it is needed

    typed = b""
    try:
        if termios.tcgetattr(STDIN)[3] & termios.ICANON:
            while select.select([STDIN], [], [], 0)[0]:
                typed += os.read(STDIN, 4096) or b"\x04"
    except (OSError, termios.error):
        pass
    return typed


def push_input(data: bytes) -> bytes:
    """Put ``data`` back in the terminal's input queue as if typed now; the bytes that did not go.

    The line discipline treats them as typing in the mode the terminal is
    in (Enter becomes a newline, Ctrl-C a signal), but without echo: they
    were typed while the editor drew them, and whoever reads them next (the
    next prompt, readline in ``input()``) shows them again.  Keys that
    reached the queue since ``data`` was read were typed after it: they are
    taken out first and pushed again behind it (else they would run first).
    Where the system forbids pushing (TIOCSTI off: Linux's
    ``dev.tty.legacy_tiocsti = 0``, other systems) nothing goes, and what
    is returned is ``data`` and those later keys, in order, for the caller
    to hand on.
    """
    if not data:
        return b""  # the usual case: no system call on the way to running an input
    import fcntl

    try:
        mode = termios.tcgetattr(STDIN)
        quiet = termios.tcgetattr(STDIN)
        quiet[3] &= ~(termios.ECHO | termios.ECHONL)
        termios.tcsetattr(STDIN, termios.TCSANOW, quiet)
    except termios.error:
        return data
    data += _take_queued(quiet)
    pushed = 0
    try:
        for byte in data:
            fcntl.ioctl(STDIN, termios.TIOCSTI, bytes((byte,)))
            pushed += 1
    except (OSError, AttributeError):  # AttributeError: a termios without TIOCSTI
        pass
    finally:
        set_mode(mode)
    return data[pushed:]


def _take_queued(mode: list[Any]) -> bytes:
    """Read every byte waiting in the input queue, a line's unfinished end included.

    Read in a non-canonical copy of ``mode`` (a cooked terminal hands out whole
    lines only); ``mode`` is set again after.  In cooked mode the queue holds
    a Ctrl-D as a NUL (the line discipline's end-of-file mark): it goes back
    as the key.
    """
    import select

    uncooked = [*mode[:6], list(mode[6])]
    uncooked[3] &= ~termios.ICANON
    uncooked[6][termios.VMIN], uncooked[6][termios.VTIME] = 0, 0
    queued = b""
    try:
        termios.tcsetattr(STDIN, termios.TCSANOW, uncooked)
        while select.select([STDIN], [], [], 0)[0]:
            chunk = os.read(STDIN, 4096)
            if not chunk:
                break
            queued += chunk
    except (OSError, termios.error):
        pass
    finally:
        set_mode(mode)
    return queued.replace(b"\0", b"\x04") if mode[3] & termios.ICANON else queued


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
