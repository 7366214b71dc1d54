"""Finishing an accepted one-line input without prompt_toolkit's last full redraw.

When an input is accepted, prompt_toolkit lays out and draws the whole
prompt once more in its "done" state (no suggestion, menu or toolbar), then
moves the cursor below it.  For a one-line input whose last drawing already
shows exactly what the done state shows, that redraw rewrites the same
characters: about a millisecond of layout work on the way from Enter to the
result (1-2 ms after a person's pause, when it runs cold).  There the shell
moves below the input itself, with the same closing codes, and the input
runs at once.  Anything the done state would draw differently (a wrapped
or multi-line input, a suggestion, a menu, a toolbar, a search, vi's modes,
a style for accepted input) gets prompt_toolkit's own redraw, as before.

The Enter itself takes a short cut there too.  prompt_toolkit finds a key's
binding by walking the whole layout and evaluating the filters of every
binding of the key, twice (about 0.4 ms a key); an Enter read alone, with no
key sequence under way, on an input that is final and complete, does what
the Enter binding would do (``validate_and_handle``) straight from the read.
Whether the line drawn is complete is worked out while the user pauses, so
the Enter does not compile it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys

from freshrepl.shell.early import is_complete, submitted_text

# Seconds after a drawing with no other: a pause in typing, when the line's completeness
# is worked out ahead of an Enter.
_COMPLETENESS_AFTER = 0.03


class FinalLook:
    """Knows when the input line on screen is already its final look, and finishes it then."""

    def __init__(self, session: PromptSession[str], prompt: str, may_run: Callable[[], bool],
                 run: Callable[[Any, str], None]) -> None:
        """``run(app, text)`` runs an accepted input; only while ``may_run()`` says it may."""
        self._session = session
        self._may_run, self._run = may_run, run
        self._accept_input = session.default_buffer.accept_handler
        session.default_buffer.accept_handler = self._accepted
        self._prompt_width = len(prompt)
        self._drawn: tuple[str, int] | None = None  # (text, cursor) of the last drawing
        self._accepted_plain: tuple[object, str, bool] | None = None  # (style hash, style, plain?)
        self._finished = False  # by finish(): this read draws nothing more
        self._checked_final = False  # is_final() held a moment ago, for this very Enter
        self._completeness: tuple[str, bool] | None = None  # (text, complete?), found in a pause
        self._in_pause: Any = None  # the timer that finds it
        renderer = session.app.renderer
        self._render = renderer.render
        renderer.render = self._render_unless_finished  # type: ignore[method-assign]
        app_input = session.app.input
        self._read_keys = app_input.read_keys
        app_input.read_keys = self._read_keys_or_accept  # type: ignore[method-assign]

    def start(self) -> None:
        """A new read: prompt_toolkit draws again."""
        self._finished = False
        self._drawn = None

    def note_drawing(self, app: Any) -> None:
        """After each drawing (prompt_toolkit's ``after_render``): what it showed."""
        buffer = self._session.default_buffer
        self._drawn = None if app.is_done else (buffer.text, buffer.cursor_position)
        if self._in_pause is not None:
            self._in_pause.cancel()
            self._in_pause = None
        if self._drawn is not None and app.loop is not None:
            self._in_pause = app.loop.call_later(_COMPLETENESS_AFTER, self._note_completeness)

    def _note_completeness(self) -> None:
        self._in_pause = None
        text = self._session.default_buffer.text
        if "\n" not in text and (self._completeness is None or self._completeness[0] != text):
            self._completeness = (text, is_complete(text))

    def _is_complete(self, text: str) -> bool:
        known = self._completeness
        return known[1] if known is not None and known[0] == text else is_complete(text)

    def _accepted(self, buffer: Buffer) -> bool:
        """prompt_toolkit accepts the input; if it is on screen as it will stay, it runs now.

        The input goes in the history first (prompt_toolkit's own call after
        this then adds nothing), as it would before the done redraw.
        """
        final, self._checked_final = self._checked_final, False
        keep_text = bool(self._accept_input(buffer)) if self._accept_input is not None else False
        app = self._session.app
        if app.is_done and not app.erase_when_done and self._may_run() and (final or self.is_final()):
            buffer.append_to_history()
            self.finish()
            self._run(app, submitted_text(buffer.text))
        return keep_text

    def _read_keys_or_accept(self) -> list[KeyPress]:
        """The keys read; an Enter alone that accepts a final input is handled here instead."""
        keys = self._read_keys()
        if len(keys) == 1 and keys[0].key == Keys.ControlM and self._accepts_enter_now():
            # Nothing the Enter binding does between here and _accepted changes the look.
            self._checked_final = True
            try:
                self._session.default_buffer.validate_and_handle()  # what the binding does
            finally:
                self._checked_final = False
            return []
        return keys

    def _accepts_enter_now(self) -> bool:
        """Would Enter accept the input, with nothing but the Enter binding involved?"""
        app = self._session.app
        processor = app.key_processor
        return (
            app.is_running and not app.is_done and self._may_run()
            and not processor.input_queue and not processor.key_buffer
            and not app.emacs_state.is_recording
            and self.is_final() and self._is_complete(self._session.default_buffer.text)
        )

    def is_final(self) -> bool:
        """Would the done state's redraw put on screen exactly what is there now?"""
        app = self._session.app
        buffer = self._session.default_buffer
        text = buffer.text
        return (
            self._drawn == (text, buffer.cursor_position)
            and not app.invalidated  # no drawing pending for a later change
            and app.renderer.last_rendered_screen is not None
            and buffer.cursor_position == len(text)
            # One line of one-column characters, not wrapped: the cursor ends it.
            and text.isascii() and text.isprintable()
            and self._prompt_width + len(text) < app.output.get_size().columns
            and buffer.suggestion is None and buffer.complete_state is None
            and buffer.validation_error is None and buffer.selection_state is None
            and not app.layout.is_searching and self._session.bottom_toolbar is None
            and app.key_processor.arg is None and app.editing_mode == EditingMode.EMACS
            and self._accepted_style_adds_nothing(app)
        )

    def finish(self) -> None:
        """Move below the input as the done redraw would, and skip that redraw.

        The done redraw ends with the cursor at the start of the row under
        the input and the rows below erased, then resets the renderer
        (bracketed paste off, the cursor shown): the same codes, in one write.
        """
        app = self._session.app
        app.output.write_raw("\r\n")
        app.output.erase_down()
        app.renderer.reset()  # writes and flushes
        self._finished = True

    def _render_unless_finished(self, app: Any, layout: Any, is_done: bool = False) -> None:
        if not self._finished:
            self._render(app, layout, is_done)

    def _accepted_style_adds_nothing(self, app: Any) -> bool:
        """The done state adds ``app.exit_style`` to every character: a style without a rule for it."""
        style, exit_style = app.renderer.style, app.exit_style
        if not exit_style:
            return True
        key = style.invalidation_hash()
        if self._accepted_plain is None or self._accepted_plain[:2] != (key, exit_style):
            plain = style.get_attrs_for_style_str(exit_style) == style.get_attrs_for_style_str("")
            self._accepted_plain = (key, exit_style, plain)
        return self._accepted_plain[2]
