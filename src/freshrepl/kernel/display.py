"""Colour for what the kernel prints on the terminal: results and tracebacks.

Only when the shell says colour is on.  The text is exactly what python3
prints (``repr`` for a result); colour is only added around it, and a
highlighting that would change one character is thrown away.  pygments is
imported with the first coloured output, not at start-up; a kernel
interpreter without pygments prints plain text.
"""

from __future__ import annotations

import builtins
import re
import sys
from collections.abc import Callable
from typing import Any

from freshrepl.kernel.imports import without_user_path

# Beyond this a repr is printed plain: highlighting it would be slower than printing it.
MAX_COLORED = 50_000

_SGR = re.compile(r"\x1b\[[0-9;]*m")
# Text pygments would alter (it turns "\r" into "\n") or that already carries escapes.
_UNSAFE = re.compile(r"[\r\x1b]")


class Highlighter:
    """Adds terminal colours to Python text with pygments, or leaves it alone."""

    def __init__(self, style: str = "default") -> None:
        self.style = style
        self._tools: tuple[Any, Any, Any, Any] | None = None
        self._failed = False

    def result(self, text: str) -> str:
        """A repr, coloured as Python source."""
        return self._highlight(text, traceback=False)

    def traceback(self, text: str) -> str:
        """Error text (a traceback, a syntax error), coloured."""
        return self._highlight(text, traceback=True)

    def _highlight(self, text: str, traceback: bool) -> str:
        if not text or len(text) > MAX_COLORED or _UNSAFE.search(text):
            return text
        tools = self._load()
        if tools is None:
            return text
        highlight, python, tb_lexer, formatter = tools
        try:
            colored = highlight(text, tb_lexer if traceback else python, formatter)
        except Exception:
            return text
        return colored if _SGR.sub("", colored) == text else text

    def _load(self) -> tuple[Any, Any, Any, Any] | None:
        if self._tools is None and not self._failed:
            try:
                self._tools = _import_pygments(self.style)
            except Exception:
                self._failed = True
        return self._tools


def _import_pygments(style: str) -> tuple[Any, Any, Any, Any]:
    """pygments' pieces: a highlight function, two lexers and a formatter."""
    with without_user_path():
        from pygments import highlight
        from pygments.formatters.terminal256 import Terminal256Formatter
        from pygments.lexers.python import PythonLexer, PythonTracebackLexer
        from pygments.util import ClassNotFound

    try:
        formatter = Terminal256Formatter(style=style)
    except ClassNotFound:
        formatter = Terminal256Formatter(style="default")
    # Keep the text as given: no newline added or stripped, tabs as they are.
    options = {"stripnl": False, "ensurenl": False, "stripall": False}
    return highlight, PythonLexer(**options), PythonTracebackLexer(**options), formatter


def make_displayhook(highlighter: Highlighter) -> Callable[[object], None]:
    """A ``sys.displayhook`` that prints results coloured on the terminal.

    Anywhere else (``sys.stdout`` redirected by the user) it is python3's own.
    """

    def displayhook(value: object) -> None:
        stdout = sys.stdout
        if value is None or stdout is not sys.__stdout__ or stdout is None:
            sys.__displayhook__(value)
            return
        builtins._ = None  # type: ignore[attr-defined]  # as python3: no recursion through _
        text = highlighter.result(repr(value))
        try:
            stdout.write(text)
        except UnicodeEncodeError:
            # What python3's displayhook does with text the terminal cannot encode.
            encoding = stdout.encoding or "utf-8"
            escaped = text.encode(encoding, "backslashreplace")
            stdout.flush()
            buffer = getattr(stdout, "buffer", None)
            if buffer is not None:
                buffer.write(escaped)
            else:
                stdout.write(escaped.decode(encoding, "strict"))
        stdout.write("\n")
        builtins._ = value  # type: ignore[attr-defined]

    return displayhook
