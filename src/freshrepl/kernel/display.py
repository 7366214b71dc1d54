"""Colour for what the kernel prints on the terminal: results and tracebacks.

Only when the shell says colour is on.  The text is exactly what python3
prints (``repr`` for a result); colour is only added around it, and a
highlighting that would change one character is thrown away.  Colours come
from a pygments style.  pygments is imported with the first coloured
output, not at start-up; a kernel interpreter without pygments prints
plain text.  Even that first import is heavy (``pygments.formatters`` pulls in
``importlib.metadata`` for its plugins: some 15 ms before the first result),
so the escapes a built-in style gives each kind of token are kept in
``$XDG_CACHE_HOME/freshrepl/colors``, checked against the pygments install
they came from; the formatter itself loads with the first traceback.

A result is split into tokens by one regular expression made for reprs:
pygments' PythonLexer takes about 13 µs a character (60 ms for the repr of
``list(range(1000))``), this about a tenth of that.  Tracebacks are short and
go through pygments' own traceback lexer.
"""

from __future__ import annotations

import ast
import builtins
import io
import os
import re
import sys
from collections.abc import Callable

from freshrepl import palette
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


# The pygments token each kind of repr token is coloured as.
_KIND_TOKENS = {"string": "Literal.String", "number": "Literal.Number",
                "constant": "Keyword.Constant", "name": "Name", "other": "Text"}


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
        self.style = style
        self._formatter: Any = None
        self._tb_lexer: Any = None
        if style == palette.NAME:  # freshrepl's own colours: known without pygments
            self.escapes = {kind: palette.escapes(name) for kind, name in _KIND_TOKENS.items()}
            return
        cache = _EscapeCache(style)
        escapes = cache.load()
        if escapes is None:
            escapes = self._all_escapes()
            cache.store(escapes)
        self.escapes = escapes

    @property
    def formatter(self) -> Any:
        if self._formatter is None:
            with without_user_path():
                from pygments.formatters.terminal256 import Terminal256Formatter
                from pygments.util import ClassNotFound

            style = palette.pygments_style() if self.style == palette.NAME else self.style
            try:
                self._formatter = Terminal256Formatter(style=style)
            except ClassNotFound:
                self._formatter = Terminal256Formatter(style=palette.pygments_style())
        return self._formatter

    def _all_escapes(self) -> dict[str, tuple[str, str]]:
        with without_user_path():
            from pygments import token

        return {kind: self._escapes(token.string_to_tokentype(name))
                for kind, name in _KIND_TOKENS.items()}

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


class _EscapeCache:
    """The escapes of a built-in pygments style, kept on disk between sessions.

    The file holds the pygments install's path and version with the escapes;
    any difference, or a style that is not one of pygments' own (a plugin
    may change without pygments changing), and they are computed afresh.
    Nothing is written when python writes no bytecode (``-B``).
    """

    KINDS = ("string", "number", "constant", "name", "other")

    def __init__(self, style: str) -> None:
        with without_user_path():
            import pygments  # its __init__ is small: the heavy part is the formatters

        self.stamp = (getattr(pygments, "__file__", None), getattr(pygments, "__version__", None))
        cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in style)
        self.style = style
        self.file = os.path.join(cache_home, "freshrepl", "colors", name)  # style checked inside

    def load(self) -> dict[str, tuple[str, str]] | None:
        try:
            with open(self.file, encoding="utf-8") as handle:
                stamp, style, escapes = ast.literal_eval(handle.read())
        except (OSError, ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
        if (stamp, style) != (self.stamp, self.style) or not isinstance(escapes, dict):
            return None
        if sorted(escapes) != sorted(self.KINDS) or not all(
            isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(e, str) for e in pair)
            for pair in escapes.values()
        ):
            return None
        return escapes

    def store(self, escapes: dict[str, tuple[str, str]]) -> None:
        if sys.dont_write_bytecode or not self._builtin():
            return
        temporary = f"{self.file}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.file), exist_ok=True)
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(repr((self.stamp, self.style, escapes)))
            os.replace(temporary, self.file)
        except OSError:
            try:
                os.unlink(temporary)
            except OSError:
                pass

    def _builtin(self) -> bool:
        try:
            with without_user_path():
                from pygments.styles import STYLE_MAP
        except ImportError:
            return False
        return self.style in STYLE_MAP


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
