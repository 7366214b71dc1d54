"""The line editor: a prompt_toolkit session that reads one whole input like python3.

An input is complete when ``codeop`` says so (what ``code.InteractiveConsole``
and python3 use): a ``def`` or ``for`` waits for a blank line, an open bracket
or a trailing backslash waits for more.  Enter either submits or opens a new,
auto-indented line.  ``wake()`` lets another thread (the file watcher) end a
read early without losing what was typed: ``read`` raises ``Woken`` carrying
the text and cursor, and the next ``read`` starts from them.

Speed: an accepted input is handed to ``on_submit`` the moment prompt_toolkit
has drawn it in its final state, before prompt_toolkit winds down -- or,
when its last drawing already is that state, from the Enter key itself, with
no redraw (``final_look.py``) -- and the next ``>>> `` is written before
prompt_toolkit has set up again (it then redraws it in place); one event
loop serves every read.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prompt_toolkit import PromptSession
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import Completer
from prompt_toolkit.document import Document
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.filters import Condition, to_filter
from prompt_toolkit.history import History
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.output import ColorDepth
from prompt_toolkit.utils import is_dumb_terminal

from freshrepl.process import set_sigint_handler, sigint_handler
from freshrepl.shell.early import INDENT, is_complete, next_indent, submitted_text
from freshrepl.shell.final_look import FinalLook
from freshrepl.shell.history import HistorySuggest, write_pending
from freshrepl.shell.kernel_help import SignatureLookup, callee_at
from freshrepl.shell.keys import help_bindings, history_bindings
from freshrepl.shell.terminal import (
    STDIN,
    drain_cooked_input,
    hold_input,
    push_input,
    set_mode,
    write,
)

if TYPE_CHECKING:
    from prompt_toolkit.lexers import PygmentsLexer
    from prompt_toolkit.output import Output
    from prompt_toolkit.styles import BaseStyle

    from freshrepl.shell.kernel_help import KernelHelp

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
        *,
        vi_mode: bool = False,
        suggestions: bool = False,
        complete_while_typing: bool = False,
        color_scheme: str = "default",
        kernel_help: KernelHelp | None = None,
        page: Callable[[str], None] = print,
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
        self.pasted = False  # the input being read (or the last one) holds a bracketed paste
        self.prompt_prefix = ""  # written with the next ``>>> `` (the end of the output line)
        self._keys_after_enter: list[Any] = []  # read with the Enter that accepted the input
        bindings = [_key_bindings(self._note_paste), history_bindings(is_complete)]
        if kernel_help is not None:
            bindings.append(help_bindings(kernel_help.doc, page))
        style = _pygments_style(color_scheme) if color else None
        self.session: PromptSession[str] = PromptSession(
            history=history,
            completer=completer,
            # Typing asks the kernel only where a name, path or key is in progress.
            complete_while_typing=Condition(lambda: complete_while_typing and _worth_completing(
                self.session.default_buffer.document.text_before_cursor)),
            complete_in_thread=True,
            auto_suggest=HistorySuggest() if suggestions else None,
            lexer=_python_lexer() if color else None,
            style=style,
            include_default_pygments_style=style is None,
            multiline=True,
            key_bindings=merge_key_bindings(bindings),
            editing_mode=EditingMode.VI if vi_mode else EditingMode.EMACS,
            prompt_continuation=lambda width, line_number, soft_wrap: SECONDARY,
            color_depth=None if color else ColorDepth.DEPTH_1_BIT,
            # Off for the session, on for the buffer: the session would also turn
            # completion while typing off; the buffer's makes Up search by prefix.
            enable_history_search=False,
            search_ignore_case=True,
            # Ctrl-Z stops the whole process group (shell and kernel) as one job.
            enable_suspend=True,
            output=_output_without_cursor_queries(),
        )
        self.session.default_buffer.enable_history_search = to_filter(True)
        _toolbars_under_input(self.session)
        self._signature = SignatureToolbar(self.session, kernel_help) if kernel_help else None
        self.session.app.after_render += self._after_render
        # Enter on an input already drawn as it will stay: it runs from the key, no redraw.
        self._final_look = FinalLook(self.session, PRIMARY, may_run=lambda: (
            self._on_submit is not None and self._early_prompt), run=self._submit)

    def read(
        self, default: Document | str = "", on_submit: Callable[[str], None] | None = None
    ) -> str:
        """One complete input; raises KeyboardInterrupt, EOFError or Woken.

        ``on_submit(text)`` is called with the input before ``read`` returns,
        as soon as the input is drawn as done; what it raises, ``read`` raises.
        """
        app = self.session.app
        app.erase_when_done = False
        if self._signature is not None:
            self._signature.forget()  # the last input may have rebound any name
        self._on_submit, self._submit_error = on_submit, None
        if not default:  # a new input, not one given back after a wake-up
            self.pasted = False
        self._sigint_handler = sigint_handler()
        self._final_look.start()
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
        """Keys read before this read (as the terminal sent them): the next read handles them first."""
        app_input = self.session.app.input
        parser = getattr(app_input, "vt100_parser", None)
        if data and parser is not None:
            # The input's own parser keeps an unfinished escape sequence for the
            # bytes still to come; read_keys() adds what is already waiting.
            parser.feed(data.decode("utf-8", "surrogateescape"))
            # A lone Esc at the end was typed a while ago (vi's normal mode), not the
            # start of a sequence still arriving: prompt_toolkit's timer for it never
            # runs for keys that did not come through its own reader.
            self._typeahead += app_input.read_keys() + app_input.flush_keys()

    def give_back_keys(self) -> None:
        """The keys read after the accepting Enter go back to the terminal (it is cooked by now).

        One read from the terminal can hold more than the input (keys typed
        fast, a burst from a program): what follows the Enter belongs to
        whatever reads next -- the code's ``input()``, as in python3, or
        else the next prompt.  Where keys cannot be put back, the next
        prompt gets them.
        """
        keys, self._keys_after_enter = self._keys_after_enter, []
        data = "".join(_raw_key(key) for key in keys).encode("utf-8", "surrogateescape")
        self.take_typeahead(push_input(data))

    def add_history(self, text: str) -> None:
        """An input that ran without the editor (typed ahead): in the history all the same."""
        if text.strip():
            self.session.history.append_string(text)
            write_pending(self.session.history)

    def show_prompt(self) -> None:
        """Write ``>>> `` now, ahead of the next read; keys typed meanwhile are held for it.

        prompt_toolkit redraws the prompt in place when it starts (see _pre_run).
        """
        before, self.prompt_prefix = self.prompt_prefix, ""
        if self._early_prompt and not self._prompt_shown:
            # Written first (one write with what ends the output): keys typed
            # from here on are read as before, whether or not yet held.
            write(before + PRIMARY)
            typed = drain_cooked_input()  # read before holding: a Ctrl-D stays a key
            mode = hold_input()
            if self._mode_before_hold is None:
                self._mode_before_hold = mode
            self._prompt_shown = True
            self.take_typeahead(typed)
        elif before:
            write(before)

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

    def _note_paste(self) -> None:
        self.pasted = True

    def _pre_run(self) -> None:
        if self._prompt_shown:
            write("\r")  # prompt_toolkit draws from column 0, over the early prompt
            self._prompt_shown = False
        if self._signature is not None:  # a line given back after a wake-up may be in a call
            self._signature.show(self.session.default_buffer)
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
        self._final_look.note_drawing(app)
        if self._on_submit is None or not app.is_done or app.erase_when_done:
            return
        if app.renderer.last_rendered_screen is not None:
            return  # an ordinary redraw: the final one resets the renderer
        future = app.future
        if future is None or future.cancelled() or future.exception() is not None:
            return
        self._submit(app, submitted_text(future.result()))

    def _submit(self, app: Any, text: str) -> None:
        """Hand the accepted input to ``on_submit``; the next prompt is written right after."""
        on_submit, self._on_submit = self._on_submit, None
        assert on_submit is not None
        self._keys_after_enter = _take_queued_keys(app)
        try:
            with _shell_sigint(self._sigint_handler):
                on_submit(text)
        except BaseException as exc:  # raised from read(), once prompt_toolkit is done
            self._submit_error = exc
            return
        self.show_prompt()  # the next one, before prompt_toolkit winds down


class SignatureToolbar:
    """The signature of the call the cursor is in, on the toolbar under the input."""

    def __init__(self, session: PromptSession[str], kernel_help: KernelHelp) -> None:
        self.session = session
        self._lookup = SignatureLookup(kernel_help.signature, self._arrived)
        session.default_buffer.on_text_changed += self.show
        session.default_buffer.on_cursor_position_changed += self.show

    def show(self, buffer: Buffer) -> None:
        """The toolbar shows the signature of the call the cursor is in, if known yet."""
        signature = self._lookup.get(callee_at(buffer.document.text_before_cursor))
        self.session.bottom_toolbar = " ".join(signature.split()) if signature else None

    def forget(self) -> None:
        self._lookup.forget()
        self.session.bottom_toolbar = None

    def _arrived(self) -> None:
        # From the lookup's thread: recompute and redraw in the editor's loop.
        app = self.session.app
        loop = getattr(app, "loop", None)
        if app.is_running and loop is not None:
            loop.call_soon_threadsafe(self._redraw)

    def _redraw(self) -> None:
        app = self.session.app
        if app.is_running and not app.is_done:
            self.show(self.session.default_buffer)
            app.invalidate()


def _take_queued_keys(app: Any) -> list[Any]:
    """The keys the editor read but has not handled (those after the accepting Enter), taken."""
    queue = app.key_processor.input_queue
    keys = [key for key in queue if key.key != Keys.CPRResponse]
    queue.clear()
    return keys


def _raw_key(key: Any) -> str:
    """What the terminal sent for one key press."""
    if key.key == Keys.BracketedPaste:
        return "\x1b[200~" + key.data + "\x1b[201~"
    return str(key.data)


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
        self.wakeup = signal.set_wakeup_fd(-1)
        self.saved = set_sigint_handler(self.handler) if self.handler is not None else None

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            set_sigint_handler(self.saved)
        signal.set_wakeup_fd(self.wakeup)


def _output_without_cursor_queries() -> Output:
    """The terminal output, told never to ask the terminal where its cursor is.

    prompt_toolkit asks (``ESC[6n``) each time a prompt starts, to learn the
    rows below it; the terminal's answer can come after the input is
    accepted and the terminal is cooked again for the kernel: it is then
    echoed, read by ``input()``, or typed into the user's shell after Ctrl-Z.
    Never asking is the one way no answer can arrive late (waiting for it
    would delay every input by a round trip to the terminal).  What the
    answer bought, a layout that reaches the bottom row, the shell does not
    want: the signature line belongs under the input.
    """
    from prompt_toolkit.output.defaults import create_output

    output = create_output()
    if hasattr(output, "enable_cpr"):
        output.enable_cpr = False
    if output.responds_to_cpr:
        raise RuntimeError(f"this prompt_toolkit's {type(output).__name__} cannot be kept from "
                           "asking the terminal for the cursor position")
    return output


def _toolbars_under_input(session: PromptSession[str]) -> None:
    """The toolbars (signature, search) on the rows right under the input, the menu's room below them.

    prompt_toolkit keeps the completion menu's rows as blank lines of the
    input itself, and puts the toolbars under them: the signature would sit
    eight rows below the input (or, with the terminal's cursor position
    known, on its last row).  Here the input is as tall as its text, the
    toolbars follow it, and the rows kept for the menu come last; the menu
    floats over the whole prompt, under the cursor as before, and one row
    lower while the signature shows (so as not to cover it).
    The signature toolbar is also shown without a cursor-position report,
    which the shell never asks for (see _output_without_cursor_queries).
    """
    from prompt_toolkit.filters import is_done
    from prompt_toolkit.layout import (
        BufferControl,
        ConditionalContainer,
        FloatContainer,
        HSplit,
        Window,
    )

    root = session.layout.container
    containers = list(session.layout.walk())
    prompt = next(c for c in containers if isinstance(c, FloatContainer))
    input_window = next(c for c in containers if isinstance(c, Window)
                        and isinstance(c.content, BufferControl)
                        and c.content.buffer is session.default_buffer)
    if not isinstance(root, HSplit):
        raise RuntimeError(f"unknown prompt_toolkit prompt layout: {type(root).__name__} at its root")
    signature_shown = Condition(lambda: session.bottom_toolbar is not None) & ~is_done
    for container in containers:
        if (isinstance(container, ConditionalContainer) and isinstance(container.content, Window)
                and container.content.style == "class:bottom-toolbar"):
            container.filter = signature_shown
    floats, prompt.floats = prompt.floats, []
    for float_ in floats:
        if float_.ycursor:  # a completion menu: a row that draws nothing above it (a transparent float)
            float_.content = HSplit([ConditionalContainer(Window(height=1), signature_shown),
                                     float_.content])
    menu_room = Window(height=input_window.height)  # what the session reserves for the menu
    input_window.height = None
    input_window.dont_extend_height = to_filter(True)
    root.children[:] = [FloatContainer(HSplit([*root.children, menu_room]), floats)]


def _worth_completing(before: str) -> bool:
    """A name, attribute, path or key in progress: not a number, an operator or a blank."""
    if not before or before[-1] not in _COMPLETING_CHARS:
        return False
    start = len(before)
    while start > 0 and (before[start - 1].isalnum() or before[start - 1] == "_"):
        start -= 1
    return not before[start:start + 1].isdigit()


_COMPLETING_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./'\"[")


def _pygments_style(name: str) -> BaseStyle:
    """freshrepl's own colours for "default" (palette.py), else the pygments style of that name."""
    from prompt_toolkit.styles import style_from_pygments_cls

    from freshrepl import palette

    if name == palette.NAME:
        return style_from_pygments_cls(palette.pygments_style())
    from pygments.styles import get_style_by_name

    return style_from_pygments_cls(get_style_by_name(name))


def _python_lexer() -> PygmentsLexer:
    from prompt_toolkit.lexers import PygmentsLexer
    from pygments.lexers.python import PythonLexer

    return PygmentsLexer(PythonLexer)


def _key_bindings(on_paste: Callable[[], None]) -> KeyBindings:
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
        state = buffer.complete_state
        if state is not None and state.complete_index is not None:
            buffer.complete_next()  # already cycling through the menu
        else:
            _complete_now(buffer, menu_shown=state is not None and bool(state.completions))

    @bindings.add("backspace", filter=at_indentation)
    def _dedent(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        column = buffer.document.cursor_position_col
        if column == 0:
            buffer.delete_before_cursor(1)
            return
        buffer.delete_before_cursor((column - 1) % len(INDENT) + 1)

    @bindings.add(Keys.CPRResponse, eager=True)
    def _unasked_reply(event: KeyPressEvent) -> None:
        """A cursor-position report nobody asked for (the shell never asks): dropped.

        prompt_toolkit's own handler would take it as an answer and start
        asking from then on.
        """

    @bindings.add(Keys.BracketedPaste)
    def _paste(event: KeyPressEvent) -> None:
        data = event.data.replace("\r\n", "\n").replace("\r", "\n")
        buffer = event.current_buffer
        buffer.insert_text(data)
        on_paste()  # the input runs as one block, as Python 3.13's REPL runs a paste
        # python3 runs a pasted block as it arrives: one that ends in a newline runs.
        if data.endswith("\n") and is_complete(buffer.text):
            buffer.validate_and_handle()

    return bindings


def _complete_now(buffer: Buffer, menu_shown: bool) -> None:
    """Tab: ask now, then complete the only match or what all matches share, as readline does.

    With nothing shared, the menu opens; if it was open already (completion
    while typing), the first match is selected and further Tabs cycle.
    Asked here rather than through prompt_toolkit's background completion: a
    menu shown while typing may still be loading (its matches not all there
    to share a part), and prompt_toolkit drops a second request while one
    runs, which would lose the Tab.
    """
    from prompt_toolkit.buffer import CompletionState
    from prompt_toolkit.completion import CompleteEvent, get_common_complete_suffix

    document = buffer.document
    event = CompleteEvent(completion_requested=True)
    completions = list(buffer.completer.get_completions(document, event)) if buffer.completer else []
    if len(completions) == 1:
        buffer.apply_completion(completions[0])
    elif completions and get_common_complete_suffix(document, completions):
        buffer.insert_text(get_common_complete_suffix(document, completions))
    else:
        # Replacing the state also tells a completion still loading to stop.
        buffer.complete_state = CompletionState(document, completions) if completions else None
        if menu_shown and completions:
            buffer.complete_next()


def _cursor_in_indentation() -> bool:
    from prompt_toolkit.application import get_app

    document = get_app().current_buffer.document
    before = document.current_line_before_cursor
    return before != "" and not before.strip() or (before == "" and document.current_line == "")
