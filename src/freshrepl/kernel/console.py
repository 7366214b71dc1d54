"""The kernel's InteractiveConsole: how one input is compiled, run and its errors shown.

It behaves like python3's interactive mode, plus top-level ``await`` (run on
the one event loop of ``aio.py``), bare ``exit``/``quit`` (as Python 3.13's
REPL) and tracebacks without freshrepl's own frames.  It also shields the
session from inputs that trip up ``code`` itself (Python 3.13.0 fails on a
syntax error without a line number, such as a NUL byte in the input).
"""

from __future__ import annotations
import __future__

import ast
import code
import functools
import linecache
import operator
import os
import sys
import traceback
from collections.abc import Callable
from types import CodeType, TracebackType

from freshrepl.compiler import CO_COROUTINE, AwaitCompiler
from freshrepl.kernel.aio import AsyncRunner

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    from typing import Any

# Python 3.13's own REPL names inputs "<python-input-N>" and shows their source in
# tracebacks; older ones say "<stdin>" without source.  Match the running version.
NUMBERED_INPUTS = sys.version_info >= (3, 13)

# code.InteractiveConsole.showsyntaxerror fails on a SyntaxError without lineno.
SYNTAX_ERROR_NEEDS_LINE = sys.version_info >= (3, 13)

# The compiler flags of `from __future__` imports.
FUTURE_FLAGS = functools.reduce(
    operator.or_, (getattr(__future__, name).compiler_flag for name in __future__.all_feature_names)
)

# The names Python 3.13's REPL treats as commands when they are the whole input.
EXIT_COMMANDS = ("exit", "quit")


class KernelConsole(code.InteractiveConsole):
    """python3's interactive console, plus await, bare exit, and whether the last input failed."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        super().__init__(namespace, filename="<stdin>")
        self.compile = AwaitCompiler()  # type: ignore[assignment]
        self.failed = False
        self.interrupted = False  # the last error shown was a KeyboardInterrupt
        self.captured: list[str] | None = None  # set during replay: errors go here
        self.input_count = 0
        self.aio = AsyncRunner()
        # Colours error text written to the terminal (set when colour is on).
        self.colorize: Callable[[str], str] | None = None
        self._source = ""
        self._user_code: CodeType | None = None
        # The code objects the current input compiled to (for its provenance), and who
        # is told of each before it runs.
        self.codes: list[CodeType] = []
        self.on_code: Callable[[CodeType], None] | None = None

    def showtraceback(self) -> None:
        self.failed = True
        etype, value, tb = sys.exc_info()
        self.interrupted = etype is not None and issubclass(etype, KeyboardInterrupt)
        if tb is not None:
            if self._user_code is not None:
                _skip_to_code(tb, self._user_code)
            _hide_own_frames(tb)
            if etype is not None and sys.excepthook is not sys.__excepthook__:
                # Before 3.13, ``code`` hands a replaced excepthook (the exceptiongroup
                # backport's, which pytest and anyio install) the console's own frame
                # too; python3's REPL hands it the user's frames only.
                _call_excepthook(etype, value, tb.tb_next)
                return
            if value is not None and not traceback_gives_hints():
                # The display prints the error's own __traceback__: the user's frames only.
                value = value.with_traceback(tb.tb_next)
                sys.last_type, sys.last_value, sys.last_traceback = type(value), value, tb.tb_next
                self.write(interpreter_display(type(value), value, tb.tb_next))
                return
        super().showtraceback()

    def showsyntaxerror(self, filename: str | None = None, **kwargs: Any) -> None:
        self.failed = True
        etype, value, _tb = sys.exc_info()
        if SYNTAX_ERROR_NEEDS_LINE and isinstance(value, SyntaxError) and value.lineno is None:
            # Python 3.13.0's code module compares this None with a number and
            # fails (e.g. "source code string cannot contain null bytes");
            # print what its fixed versions print.
            if filename:
                value.filename = filename
            sys.last_type, sys.last_value, sys.last_traceback = etype, value, None
            self.write("".join(traceback.format_exception_only(etype, value)))
            return
        if etype is not None and sys.excepthook is not sys.__excepthook__:
            # As in showtraceback: python3 gives a replaced excepthook no frames of
            # its own for a SyntaxError in what was typed.
            if filename and isinstance(value, SyntaxError):
                value.filename = filename
            _call_excepthook(etype, value, None)
            return
        if isinstance(value, SyntaxError) and value.msg == "incomplete input":
            value = self._complete_input_error(value, filename)
        if isinstance(value, SyntaxError) and not traceback_shows_syntax_errors_as_displayed():
            # ``code`` formats with ``traceback``, which here differs from what the
            # interpreter's display (python3's REPL) prints: it would also rebuild
            # the error from its args, losing where it ends.  The input was
            # compiled with this filename already, as python3's REPL compiles it;
            # raised by the compiler, it has no frames of the user's to show.
            value = value.with_traceback(None)
            sys.last_type, sys.last_value, sys.last_traceback = type(value), value, None
            self.write(interpreter_display(type(value), value, None))
            return
        super().showsyntaxerror(filename, **kwargs)

    def _complete_input_error(self, error: SyntaxError, filename: str | None) -> SyntaxError:
        """The error python3 reports where ``codeop`` says "incomplete input" at the end of an input.

        Python 3.10's ``codeop`` says so for an unterminated string at the end;
        python3's own REPL, whose compiler never asks for more, names the error.
        """
        flags = self.compile.compiler.flags & FUTURE_FLAGS  # not codeop's "incomplete" ones
        try:
            compile(self._source, filename or self.filename, "single", flags, True)
        except SyntaxError as real:
            real.__context__ = None  # raised while the first was handled: not caused by it
            return real
        except (ValueError, OverflowError):
            pass
        return error

    def write(self, data: str) -> None:
        if self.captured is not None:
            self.captured.append(data)
            return
        if self.colorize is not None and sys.stderr is sys.__stderr__:
            data = self.colorize(data)
        sys.stderr.write(data)

    def runsource(self, source: str, filename: str = "<input>", symbol: str = "single") -> bool:
        filename = self._filename(source, filename)
        self._source = source
        return super().runsource(source, filename, symbol)

    def _filename(self, source: str, filename: str) -> str:
        if not NUMBERED_INPUTS:
            return filename
        name = f"<python-input-{self.input_count}>"
        lines = [line + "\n" for line in source.split("\n")]
        linecache.cache[name] = (len(source), None, lines, name)
        return name

    def runcode(self, code: CodeType) -> None:
        """Run a compiled input; a coroutine (or one that needs a running loop) on the loop."""
        self.codes.append(code)
        if self.on_code is not None:
            self.on_code(code)
        if not code.co_flags & CO_COROUTINE and not self.aio.wants_loop(self._source, self.locals):
            super().runcode(code)
            return
        self._user_code = code
        try:
            self.aio.run(code, self.locals)
        except SystemExit:
            raise
        except BaseException:
            self.showtraceback()
        finally:
            self._user_code = None

    def push_source(self, source: str, block: bool = False) -> None:
        """Feed a whole input the way python3 reads it: line by line (``block``: as one)."""
        self.failed = self.interrupted = False
        self.codes = []
        if self.is_exit_command(source):
            raise SystemExit
        try:
            if block:
                self._run_block(source)
                return
            more = False
            for line in source.split("\n"):
                more = self.push(line)
            if more:
                more = self.push("")
            if more:
                self._never_completed()
        except Exception:
            # A failure of the console itself (not of the user's code, which
            # runcode catches): show it, and never let a half-read input stay
            # in the buffer to poison every later input.
            self.resetbuffer()
            self.failed = True
            self.write(f"freshrepl: internal error in the console: {sys.exc_info()[1]!r}\n")
        finally:
            self.input_count += 1

    def _run_block(self, source: str) -> None:
        """A pasted block, as Python 3.13's REPL runs one: parsed whole, then statement by statement.

        Blank lines inside a function do not end it (reading line by line,
        they would); each top-level statement runs in turn, and only the
        last one's value is echoed.  Nothing runs if any of it does not
        compile; Ctrl-C stops the rest.
        """
        filename = self._filename(source, self.filename)
        self._source = source
        try:
            tree = compile(source, filename, "exec",
                           ast.PyCF_ONLY_AST | (self.compile.compiler.flags & FUTURE_FLAGS), True)
            for statement in tree.body:
                last = statement is tree.body[-1]
                item = ast.Interactive([statement]) if last else ast.Module([statement], [])
                self.runcode(self._compile_statement(item, filename, "single" if last else "exec"))
                if self.interrupted:
                    break
        except (SyntaxError, ValueError, OverflowError):
            self._show_syntax_error(filename, source)

    def _compile_statement(self, item: ast.Module | ast.Interactive, filename: str,
                           symbol: str) -> CodeType:
        """codeop's compile of one statement (it keeps ``from __future__``), or with top-level await."""
        compiler = self.compile.compiler
        try:
            return compiler(item, filename, symbol)  # type: ignore[arg-type]
        except SyntaxError:
            flags = compiler.flags | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            try:
                found = compile(item, filename, symbol, flags, True)
            except SyntaxError:
                found = None
            if found is None or not found.co_flags & CO_COROUTINE:
                raise
            return found

    def _show_syntax_error(self, filename: str, source: str) -> None:
        if NUMBERED_INPUTS:
            self.showsyntaxerror(filename, source=source)
        else:
            self.showsyntaxerror(filename)

    def _never_completed(self) -> None:
        """The input ended still open (a bracket, a block): python3's error at end of input."""
        source = "\n".join(self.buffer)
        self.resetbuffer()
        filename = self._filename(source, self.filename)
        try:
            flags = self.compile.compiler.flags & FUTURE_FLAGS  # not codeop's "incomplete" ones
            compile(source, filename, "exec", flags, True)
        except (SyntaxError, ValueError, OverflowError):
            self._show_syntax_error(filename, source)
        else:  # codeop wants more, yet it compiles: say so rather than drop it unsaid
            self.failed = True
            self.write("SyntaxError: incomplete input\n")

    def is_exit_command(self, source: str) -> bool:
        """Is the whole input a bare ``exit`` or ``quit`` the user has not bound?"""
        name = source.strip()
        return name in EXIT_COMMANDS and name not in self.locals


def _call_excepthook(etype: type[BaseException], value: Any,
                     tb: TracebackType | None) -> None:
    """What python3's REPL does with an error when ``sys.excepthook`` was replaced."""
    if isinstance(value, BaseException):
        value = value.with_traceback(tb)
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    sys.last_exc = value  # type: ignore[attr-defined,unused-ignore]  # pdb.pm() reads it (3.12+)
    sys.excepthook(etype, value, tb)


# -- the interpreter's own error display -------------------------------------------


@functools.cache
def traceback_gives_hints() -> bool:
    """Does the ``traceback`` module print the "Did you mean" hints python3 prints (3.12+)?

    Before, only the interpreter's own display (``sys.__excepthook__``, which
    python3's REPL uses) has them, and it alone puts the carets of a syntax
    error that spans lines; ``code`` formats with ``traceback``.
    """
    try:
        pritn  # type: ignore[name-defined]  # noqa: B018, F821  (a near miss of print, on purpose)
    except NameError as exc:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return "Did you mean" in text
    raise AssertionError("pritn is defined")  # pragma: no cover


@functools.cache
def traceback_shows_syntax_errors_as_displayed() -> bool:
    """Does ``traceback`` print syntax errors as the interpreter's display does (3.13+)?

    Before, carets differ: those of an error across lines, or of an
    IndentationError, are only right in the interpreter's own display.
    """
    for source in ("x = [1, 2\n3]\n", "if True:\nprint(1)\n"):
        try:
            compile(source, "<stdin>", "exec")
        except SyntaxError as error:
            shown = "".join(traceback.format_exception_only(type(error), error))
            if shown != interpreter_display(type(error), error, None):
                return False
    return True


def interpreter_display(etype: type[BaseException], value: BaseException,
                        tb: TracebackType | None) -> str:
    """The text ``sys.__excepthook__`` (the interpreter's display) prints for this error."""
    import io

    saved, sys.stderr = sys.stderr, (text := io.StringIO())
    try:
        sys.__excepthook__(etype, value, tb)
    finally:
        sys.stderr = saved
    return text.getvalue()


# -- traceback surgery --------------------------------------------------------------

_OWN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _is_own(tb: TracebackType) -> bool:
    return tb.tb_frame.f_code.co_filename.startswith(_OWN_DIR)


def strip_own_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the first frame that is the user's, ours spliced out."""
    while tb is not None and _is_own(tb):
        tb = tb.tb_next
    if tb is not None:
        _hide_own_frames(tb)
    return tb


def _hide_own_frames(tb: TracebackType) -> None:
    """Unlink freshrepl's frames after the first (e.g. a reloaded method's forwarder).

    The first frame is the console's own; ``code`` drops it when printing.
    """
    previous = tb
    while previous.tb_next is not None:
        if _is_own(previous.tb_next):
            previous.tb_next = previous.tb_next.tb_next
        else:
            previous = previous.tb_next


def _skip_to_code(tb: TracebackType, user_code: CodeType) -> None:
    """Unlink the frames between the console's and the input's own (the event loop's)."""
    entry = tb.tb_next
    while entry is not None and entry.tb_frame.f_code is not user_code:
        entry = entry.tb_next
    if entry is not None:
        tb.tb_next = entry
