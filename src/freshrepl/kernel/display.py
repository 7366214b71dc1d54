"""Colour for what the kernel prints on the terminal: results and tracebacks.

Only when the shell says colour is on.  The text is exactly what python3
prints (``repr`` for a result); colour is only added around it, and a
highlighting that would change one character is thrown away.  Colours come
from a pygments style.  pygments is imported with the first coloured
output, not at start-up; a kernel interpreter without pygments prints
plain text.

A result is split into tokens by one regular expression made for reprs:
pygments' PythonLexer takes about 13 µs a character (60 ms for the repr of
``list(range(1000))``), this about a tenth of that.  Tracebacks are short and
go through pygments' own traceback lexer.
"""

from __future__ import annotations

import builtins
import io
import re
import sys
from collections.abc import Callable

from freshrepl.kernel.imports import without_user_path

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    from typing import Any

# Beyond this a text is printed plain: colouring it would be slower than printing it.
MAX_COLORED = 20_000

_SGR = re.compile(r"\x1b\[[0-9;]*m")
# Text pygments would alter (it turns "\r" into "\n") or that already carries escapes.
_UNSAFE = re.compile(r"[\r\x1b]")

# The tokens of a repr; anything else is one "other" character, so nothing is lost.
_REPR_TOKEN = re.compile(r"""
 (?P<string>(?<!\w)[rRbBuUfF]{0,2}(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))
|(?P<number>(?<![\w.])(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+
    |(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?[jJ]?)(?!\w))
|(?P<constant>\b(?:None|True|False|Ellipsis|NotImplemented|inf|nan)\b)
|(?P<name>[^\W\d]\w*)
|(?P<other>[^\w'"]+|.)
""", re.X | re.S)


class Highlighter:
    """Adds terminal colours to Python text with a pygments style, or leaves it alone."""

    def __init__(self, style: str = "default") -> None:
        self.style = style
        self._tools: _Tools | None = None
        self._failed = False

    def result(self, text: str) -> str:
        """A repr, coloured as Python source."""
        return self._checked(text, lambda tools: tools.repr(text))

    def traceback(self, text: str) -> str:
        """Error text (a traceback, a syntax error), coloured."""
        return self._checked(text, lambda tools: tools.traceback(text))

    def _checked(self, text: str, color: Callable[[_Tools], str]) -> str:
        if not text or len(text) > MAX_COLORED or _UNSAFE.search(text):
            return text
        tools = self._load()
        if tools is None:
            return text
        try:
            colored = color(tools)
        except Exception:
            return text
        return colored if _SGR.sub("", colored) == text else text

    def _load(self) -> _Tools | None:
        if self._tools is None and not self._failed:
            try:
                self._tools = _Tools(self.style)
            except Exception:
                self._failed = True
        return self._tools


class _Tools:
    """pygments' formatter, the escapes each token type gets, and the traceback lexer.

    The lexer (pygments' large Python lexers module) loads with the first
    traceback: a session without errors never pays for it.
    """

    def __init__(self, style: str) -> None:
        with without_user_path():
            from pygments import token
            from pygments.formatters.terminal256 import Terminal256Formatter
            from pygments.util import ClassNotFound

        try:
            self.formatter = Terminal256Formatter(style=style)
        except ClassNotFound:
            self.formatter = Terminal256Formatter(style="default")
        kinds = {"string": token.String, "number": token.Number,
                 "constant": token.Keyword.Constant, "name": token.Name, "other": token.Text}
        self.escapes = {kind: self._escapes(ttype) for kind, ttype in kinds.items()}
        self._tb_lexer: Any = None

    def _escapes(self, ttype: Any) -> tuple[str, str]:
        """What the formatter writes before and after a token of this type."""
        out = io.StringIO()
        self.formatter.format([(ttype, "\x00")], out)
        before, _, after = out.getvalue().partition("\x00")
        return before, after

    def repr(self, text: str) -> str:
        parts = []
        for match in _REPR_TOKEN.finditer(text):
            before, after = self.escapes[match.lastgroup or "other"]
            value = match.group()
            if before and "\n" in value:  # colour each line: the terminal may reset at a newline
                value = value.replace("\n", after + "\n" + before)
            parts.append(before + value + after)
        return "".join(parts)

    def traceback(self, text: str) -> str:
        with without_user_path():
            from pygments import highlight
            from pygments.lexers.python import PythonTracebackLexer

        if self._tb_lexer is None:
            # Keep the text as given: no newline added or stripped, tabs as they are.
            self._tb_lexer = PythonTracebackLexer(stripnl=False, ensurenl=False, stripall=False)
        return highlight(text, self._tb_lexer, self.formatter)


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
