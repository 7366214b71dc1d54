"""Typing at the prompt: history suggestions and prefix search, Ctrl-R blocks, completion menu, vi."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from term import Term

from freshrepl.shell.history import HistorySuggest

UP, RIGHT, ESC = "\x1b[A", "\x1b[C", "\x1b"


def write_config(home: Path, text: str) -> None:
    path = home / "config" / "freshrepl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def settle(term: Term, seconds: float) -> None:
    """Read the screen for a while (only to show that something does NOT appear)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and term.pump(deadline - time.monotonic()):
        pass


def test_suggestion_from_history_is_grey_until_right_arrow_or_ctrl_e_takes_it(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("favourite = 41")
    assert term.run("favourite + 1") == "42"
    term.send("favourite =")
    term.wait_for(re.compile(r"^>>> favourite = 41$", re.M), after=term.mark())  # suggested
    term.send("\x15")  # Ctrl-U: the line is empty again
    term.wait_idle()
    term.send("favourite +")
    term.wait_for(re.compile(r"^>>> favourite \+ 1$", re.M), after=term.mark())
    term.send(RIGHT + "\r")  # taken: the whole line runs
    term.wait_for(re.compile(r"^42$", re.M), after=term.mark())
    term.wait_idle()
    term.send("favourite =")
    term.wait_for(re.compile(r"^>>> favourite = 41$", re.M), after=term.mark())
    term.send("\x05 + 1\r")  # Ctrl-E takes it too; then more typing
    term.wait_idle()
    assert term.run("favourite") == "42"
    term.send("favourite =")  # a suggestion never runs unless taken
    term.wait_for(re.compile(r"^>>> favourite = 41 \+ 1$", re.M), after=term.mark())
    term.send("\r")
    term.wait_for("SyntaxError", after=term.mark())


def test_up_with_text_typed_searches_history_by_that_prefix(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    for line in ("alpha = 1", "beta = 2", "alpha + 10", "gamma = 3"):
        term.run(line)
    term.send("be" + UP)
    term.wait_for(re.compile(r"^>>> beta = 2$", re.M), after=term.mark())
    term.send("\x03")  # Ctrl-C: a new line, back at the end of the history
    term.wait_idle()
    term.send("alpha" + UP)
    term.wait_for(re.compile(r"^>>> alpha \+ 10$", re.M), after=term.mark())
    term.send(UP)
    term.wait_for(re.compile(r"^>>> alpha = 1$", re.M), after=term.mark())
    term.send("\x03")
    term.wait_idle()
    term.send(UP)  # nothing typed: the newest entry
    term.wait_for(re.compile(r"^>>> gamma = 3$", re.M), after=term.mark())


def test_ctrl_r_finds_a_whole_block_and_enter_runs_it(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.line("def tag():")
    term.line("marker = 'v1'")
    term.line("return marker")
    term.line("")
    term.wait_idle()
    term.run("tag = None")
    term.send("\x12'v1")  # Ctrl-R, then a piece of the block's middle line
    term.wait_for(re.compile(r">>> def tag\(\):\n\.\.\.     marker = 'v1'\n\.\.\.     return marker"),
                  after=term.mark())
    term.send("\r")
    term.wait_idle()
    assert term.run("tag()") == "'v1'"


def test_completion_menu_while_typing_and_tab_still_completes(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("globals().update({'longname_' + 'alpha': 1, 'longname_' + 'beta': 2})")
    mark = term.mark()
    term.send("longname_")
    term.wait_for(re.compile(r"^>>> longname_\n.*longname_alpha\s*\n.*longname_beta", re.M), after=mark)
    term.send("\t")  # into the menu: the first entry
    term.wait_for(re.compile(r"^>>> longname_alpha$", re.M), after=mark)
    term.send("\r\r")  # the first Enter takes the completion, the second runs the line
    term.wait_for(re.compile(r"^1$", re.M), after=mark)
    term.wait_idle()
    mark = term.mark()
    term.send("longname_b\t\r")  # Tab at once, while the menu may still be loading
    term.wait_for(re.compile(r"^>>> longname_beta\n2$", re.M), after=mark)


def test_completion_while_typing_can_be_turned_off(spawn, home):
    write_config(home, "complete_while_typing = false\n")
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("globals()['longname_' + 'alpha'] = 1")
    term.send("longname_al")
    term.wait_for(re.compile(r"^>>> longname_al$", re.M), after=term.mark())
    # An absence has no event to wait for: give a menu well over the time it takes
    # when the setting is on (test above), then look.
    settle(term, 1.0)
    assert "longname_alpha" not in term.text().split(">>> longname_al")[-1]
    term.send("\t")  # Tab still completes, in place
    term.wait_for(re.compile(r"^>>> longname_alpha$", re.M), after=term.mark())


@pytest.mark.parametrize("how", ["option", "config"])
def test_vi_bindings(spawn, home, how):
    if how == "config":
        write_config(home, "vi_mode = true\n")
    term = spawn("-q", *(["--vi"] if how == "option" else []))
    term.wait_prompt(1)
    term.send("y = 2")
    term.wait_for(lambda _: term.screen.cursor.x == len(">>> y = 2"))
    term.send(ESC)  # normal mode: the cursor steps back onto the 2
    term.wait_for(lambda _: term.screen.cursor.x == len(">>> y = "))
    term.send("x")  # delete it
    term.wait_for(re.compile(r"^>>> y =$", re.M), after=term.mark())
    term.send("a7\r")  # append, Enter runs in either mode
    term.wait_idle()
    assert term.run("y") == "7"


def test_emacs_bindings_by_default(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("z = 12\x01")  # Ctrl-A: to the start of the line
    term.wait_for(lambda _: term.screen.cursor.x == len(">>> "))
    term.send("\x0b")  # Ctrl-K: kill to the end
    term.wait_for(re.compile(r"^>>>$", re.M), after=term.mark())
    term.send("\x19")  # Ctrl-Y: yank it back
    term.wait_for(re.compile(r"^>>> z = 12$", re.M), after=term.mark())
    before = term.prompts()
    term.send("\r")
    term.wait_for(lambda _: term.prompts() > before and term.at_prompt())
    assert term.run("z") == "12"


def test_confirm_exit_asks_before_ctrl_d_leaves(spawn, home):
    write_config(home, "confirm_exit = true\n")
    term = spawn("-q")
    term.wait_prompt(1)
    term.send("\x04")
    term.wait_for("Leave freshrepl? [Y/n]")
    term.send("n")
    term.wait_idle()
    assert term.run("1 + 1") == "2"
    term.send("\x04")
    term.wait_for(re.compile(r"Leave freshrepl\? \[Y/n\] n\n>>> 1 \+ 1\n2\n>>>\s*Leave freshrepl\?"))
    term.send("\x04")  # a second Ctrl-D means yes
    assert term.wait_exit() == 0


def test_history_size_limits_what_earlier_sessions_bring(spawn, home):
    history = home / "state" / "freshrepl" / "history"
    history.parent.mkdir(parents=True)
    history.write_text("".join(f"\n# stamp\n+entry_{n} = {n}\n" for n in range(5)))
    write_config(home, "history_size = 2\n")
    term = spawn("-q")
    term.wait_prompt(1)
    term.send(UP)
    term.wait_for(re.compile(r"^>>> entry_4 = 4$", re.M), after=term.mark())
    term.send(UP)
    term.wait_for(re.compile(r"^>>> entry_3 = 3$", re.M), after=term.mark())
    term.send(UP + "\r")  # no older entry: the line stays
    term.wait_idle()
    assert term.run("entry_3") == "3"


def _newest_line_starting_with(entries: list[str], text: str) -> str | None:
    """The plain definition: newest entry first, its last line first."""
    for entry in reversed(entries):
        for line in reversed(entry.split("\n")):
            if line.startswith(text) and line != text:
                return line[len(text):]
    return None


@given(st.lists(st.lists(st.text("ab\n(", max_size=6), min_size=1, max_size=4), max_size=5),
       st.text("ab(", min_size=1, max_size=3))
@settings(max_examples=300, deadline=None)
def test_history_suggestion_is_the_newest_line_with_that_prefix(batches, text):
    history = InMemoryHistory()
    buffer = Buffer(history=history)
    suggest = HistorySuggest()
    for batch in batches:  # entries arrive between keys, as inputs are run
        for entry in batch:
            history.append_string(entry)
        suggestion = suggest.get_suggestion(buffer, Document(text))
        expected = _newest_line_starting_with(history.get_strings(), text) if text.strip() else None
        assert (suggestion.text if suggestion else None) == expected
