"""Key bindings beyond typing a line: history by prefix, Ctrl-R on whole blocks, F1 for docs.

The editor's core keys (Enter, Tab, Backspace, paste) live with the editor;
these are the ones that reach out: to the history and to the kernel's help.

| key | does |
|---|---|
| Up / Down | previous / next history entry starting with what is typed before the cursor |
| Right, Ctrl-E, Ctrl-F | take the grey suggestion from history |
| Ctrl-R | search history; Enter runs the whole entry found (multi-line blocks too) |
| F1 | the docstring of the name at the cursor (or of the call it is in), paged |
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.filters import Condition, is_searching
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from freshrepl.shell.kernel_help import name_at


def history_bindings(is_complete: Callable[[str], bool]) -> KeyBindings:
    """Up/Down by prefix (a menu shown while typing is only a hint), Enter in Ctrl-R runs."""
    bindings = KeyBindings()

    @Condition
    def completion_chosen() -> bool:
        from prompt_toolkit.application import get_app

        state = get_app().current_buffer.complete_state
        return state is not None and state.complete_index is not None

    @bindings.add("up", filter=~completion_chosen & ~is_searching)
    def _up(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        buffer.complete_state = None
        buffer.auto_up(count=event.arg)

    @bindings.add("enter", filter=is_searching)
    def _run_found(event: KeyPressEvent) -> None:
        from prompt_toolkit.search import accept_search

        accept_search()
        buffer = event.app.current_buffer
        buffer.cursor_position = len(buffer.text)
        # An entry found is a whole input that ran before: a block needs no blank line to end it.
        if is_complete(buffer.text.rstrip() + "\n"):
            buffer.validate_and_handle()

    return bindings


def help_bindings(doc: Callable[[str], str | None], page: Callable[[str], None]) -> KeyBindings:
    """F1: the docstring of the name at the cursor, shown above the prompt (paged when long)."""
    bindings = KeyBindings()

    @bindings.add("f1")
    def _doc(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        name = name_at(buffer.text, buffer.cursor_position)

        def show() -> None:
            if name is None:
                page("F1 shows the documentation of the name at the cursor")
                return
            page(doc(name) or f"no documentation found for {name}")

        run_in_terminal(show, in_executor=True)

    return bindings
