"""The line editor: a prompt_toolkit session that reads one whole input like python3.

An input is complete when ``codeop`` says so (what ``code.InteractiveConsole``
and python3 use): a ``def`` or ``for`` waits for a blank line, an open bracket
or a trailing backslash waits for more.  Enter either submits or opens a new,
auto-indented line.  ``wake()`` lets another thread (the file watcher) end a
read early without losing what was typed: ``read`` raises ``Woken`` carrying
the text and cursor, and the next ``read`` starts from them.

Speed: an accepted input is handed to ``on_submit`` the moment prompt_toolkit
has drawn it in its final state, before prompt_toolkit winds down, and the
next ``>>> `` is written before prompt_toolkit has set up again (it then
redraws it in place); one event loop serves every read.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer
from prompt_toolkit.document import Document
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.filters import Condition
from prompt_toolkit.history import History
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.output import ColorDepth
from prompt_toolkit.utils import is_dumb_terminal

from freshrepl.shell.early import INDENT, is_complete, next_indent, submitted_text
from freshrepl.shell.terminal import STDIN, hold_input, set_mode, write

PRIMARY = ">>> "
SECONDARY = "... "


class Woken(Exception):
    """A read ended early so the shell can act; ``document`` is what was typed."""

    def __init__(self, document: Document) -> None:
        super().__init__("woken")
        self.document = document


class Editor:
    """Reads inputs; one per ``read()`` call."""

    def __init__(
        self,
        history: History,
        completer: Completer | None,
        color: bool,
        before_read: Callable[[], None] | None = None,
    ) -> None:
        self._before_read = before_read
        # One event loop for the whole session: prompt_toolkit's ``prompt()``
        # would build a loop (and join its executor's threads) for every input.
        self._loop = asyncio.new_event_loop()
        self._on_submit: Callable[[str], None] | None = None
        self._submit_error: BaseException | None = None
        self._sigint_handler: Any = None
        # A dumb terminal gets prompt_toolkit's own plain prompt, drawn by it alone.
        self._early_prompt = not is_dumb_terminal() and os.isatty(STDIN)
        self._prompt_shown = False
        self._mode_before_hold: list[Any] | None = None
        self._typeahead: list[Any] = []  # KeyPresses read before the editor was up
        self.session: PromptSession[str] = PromptSession(
            history=history,
            completer=completer,
            complete_while_typing=False,
            complete_in_thread=True,
            lexer=_python_lexer() if color else None,
            multiline=True,
            key_bindings=_key_bindings(),
            editing_mode=EditingMode.EMACS,
            prompt_continuation=lambda width, line_number, soft_wrap: SECONDARY,
            color_depth=None if color else ColorDepth.DEPTH_1_BIT,
            enable_history_search=False,
            search_ignore_case=True,
        )
        self.session.app.after_render += self._after_render

    def read(
        self, default: Document | str = "", on_submit: Callable[[str], None] | None = None
    ) -> str:
        """One complete input; raises KeyboardInterrupt, EOFError or Woken.

        ``on_submit(text)`` is called with the input before ``read`` returns,
        as soon as the input is drawn as done; what it raises, ``read`` raises.
        """
        app = self.session.app
        app.erase_when_done = False
        self._on_submit, self._submit_error = on_submit, None
        self._sigint_handler = signal.getsignal(signal.SIGINT)
        self.show_prompt()
        try:
            text = submitted_text(self._loop.run_until_complete(
                self.session.prompt_async(PRIMARY, default=default, pre_run=self._pre_run)
            ))
        finally:
            app.erase_when_done = False
            pending, self._on_submit = self._on_submit, None
            if not self._prompt_shown:
                self._release_input()
        if self._submit_error is not None:
            error, self._submit_error = self._submit_error, None
            raise error
        if pending is not None:  # not drawn by our application (a dumb terminal)
            pending(text)
        return text

    def take_typeahead(self, data: bytes) -> None:
        """Keys read before the editor was up: the next read handles them first."""
        app_input = self.session.app.input
        parser = getattr(app_input, "vt100_parser", None)
        if data and parser is not None:
            # The input's own parser keeps an unfinished escape sequence for the
            # bytes still to come; read_keys() adds what is already waiting.
            parser.feed(data.decode("utf-8", "surrogateescape"))
            self._typeahead = app_input.read_keys()

    def add_history(self, text: str) -> None:
        """An input that ran without the editor (typed ahead): in the history all the same."""
        if text.strip():
            self.session.history.append_string(text)

    def show_prompt(self) -> None:
        """Write ``>>> `` now, ahead of the next read; keys typed meanwhile are held for it.

        prompt_toolkit redraws the prompt in place when it starts (see _pre_run).
        """
        if self._early_prompt and not self._prompt_shown:
            mode = hold_input()
            if self._mode_before_hold is None:
                self._mode_before_hold = mode
            write(PRIMARY)
            self._prompt_shown = True

    def adopt_prompt(self, mode_before_hold: list[Any] | None) -> bool:
        """The shell wrote ``>>> `` and holds the keys (the early prompt): the next read uses it.

        False when this editor draws its prompts alone (a dumb terminal).
        """
        if not self._early_prompt or mode_before_hold is None:
            return False
        self._prompt_shown = True
        self._mode_before_hold = mode_before_hold
        return True

    def hide_prompt(self) -> None:
        """Take back a prompt written ahead (to print above it); the next read shows it again."""
        if self._prompt_shown:
            write("\r\x1b[K")
            self._prompt_shown = False
            self._release_input()

    def _release_input(self) -> None:
        """Back to the terminal mode from before the keys were held.

        prompt_toolkit, when it finishes, restores the mode it found: the held one.
        """
        if self._mode_before_hold is not None:
            set_mode(self._mode_before_hold)
            self._mode_before_hold = None

    def wake(self) -> None:
        """From any thread: end the current read early (keeping its text)."""
        app = self.session.app
        loop = getattr(app, "loop", None)
        if app.is_running and loop is not None:
            loop.call_soon_threadsafe(self._exit_woken)

    def _exit_woken(self) -> None:
        app = self.session.app
        if app.is_running and not app.is_done:
            if app.layout.is_searching:
                # A Ctrl-R match is only previewed: take it as the input line,
                # which is what the user sees.
                from prompt_toolkit.search import accept_search

                accept_search()
            app.erase_when_done = True
            app.exit(exception=Woken(self.session.default_buffer.document))

    def _pre_run(self) -> None:
        if self._prompt_shown:
            write("\r")  # prompt_toolkit draws from column 0, over the early prompt
            self._prompt_shown = False
        if self._before_read is not None:
            self._before_read()

    def _after_render(self, app: Any) -> None:
        """Feed keys typed ahead after the first drawing; hand over an accepted input.

        The input goes to ``on_submit`` once it is drawn in its final state,
        before prompt_toolkit winds down (its clean-up then overlaps nothing
        the user waits for), and the next prompt is written right after.
        """
        if self._typeahead and not app.is_done:
            # After the first drawing, which starts loading the history: an Up
            # typed ahead then finds it, as it does when read from the terminal.
            keys, self._typeahead = self._typeahead, []
            app.loop.call_soon(_feed_keys, app, keys)
        on_submit = self._on_submit
        if on_submit is None or not app.is_done or app.erase_when_done:
            return
        if app.renderer.last_rendered_screen is not None:
            return  # an ordinary redraw: the final one resets the renderer
        future = app.future
        if future is None or future.cancelled() or future.exception() is not None:
            return
        self._on_submit = None
        try:
            with _shell_sigint(self._sigint_handler):
                on_submit(submitted_text(future.result()))
        except BaseException as exc:  # raised from read(), once prompt_toolkit is done
            self._submit_error = exc
            return
        self.show_prompt()  # the next one, before prompt_toolkit winds down


def _feed_keys(app: Any, keys: list[Any]) -> None:
    app.key_processor.feed_multiple(keys)
    app.key_processor.process_keys()


class _shell_sigint:
    """Ctrl-C goes to the shell's own handler, not to prompt_toolkit's event loop.

    While the application winds down its loop still owns SIGINT (a handler
    plus the wake-up fd); an input run meanwhile needs the shell's handler,
    as between reads.
    """

    def __init__(self, handler: Any) -> None:
        self.handler = handler

    def __enter__(self) -> None:
        self.saved = signal.getsignal(signal.SIGINT)
        self.wakeup = signal.set_wakeup_fd(-1)
        if self.handler is not None:
            signal.signal(signal.SIGINT, self.handler)

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            signal.signal(signal.SIGINT, self.saved)
        signal.set_wakeup_fd(self.wakeup)


def _python_lexer() -> object:
    from prompt_toolkit.lexers import PygmentsLexer
    from pygments.lexers.python import PythonLexer

    return PygmentsLexer(PythonLexer)


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()
    at_indentation = Condition(_cursor_in_indentation)

    @bindings.add("enter")
    @bindings.add("c-j")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state and buffer.complete_state.current_completion:
            buffer.apply_completion(buffer.complete_state.current_completion)
            return
        at_end = buffer.cursor_position == len(buffer.text)
        if (at_end or "\n" not in buffer.text) and is_complete(buffer.text):
            buffer.validate_and_handle()
            return
        line = buffer.document.current_line_before_cursor
        buffer.insert_text("\n" + next_indent(line))

    @bindings.add("tab", filter=at_indentation)
    def _indent(event: KeyPressEvent) -> None:
        column = event.current_buffer.document.cursor_position_col
        event.current_buffer.insert_text(" " * (len(INDENT) - column % len(INDENT)))

    @bindings.add("tab", filter=~at_indentation)
    def _complete(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state:
            buffer.complete_next()
        else:
            buffer.start_completion(insert_common_part=True)

    @bindings.add("backspace", filter=at_indentation)
    def _dedent(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        column = buffer.document.cursor_position_col
        if column == 0:
            buffer.delete_before_cursor(1)
            return
        buffer.delete_before_cursor((column - 1) % len(INDENT) + 1)

    @bindings.add(Keys.BracketedPaste)
    def _paste(event: KeyPressEvent) -> None:
        data = event.data.replace("\r\n", "\n").replace("\r", "\n")
        buffer = event.current_buffer
        buffer.insert_text(data)
        # python3 runs a pasted block as it arrives: one that ends in a newline runs.
        if data.endswith("\n") and is_complete(buffer.text):
            buffer.validate_and_handle()

    return bindings


def _cursor_in_indentation() -> bool:
    from prompt_toolkit.application import get_app

    document = get_app().current_buffer.document
    before = document.current_line_before_cursor
    return before != "" and not before.strip() or (before == "" and document.current_line == "")
