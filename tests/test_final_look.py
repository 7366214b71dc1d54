"""Enter on a one-line input that is on screen as it will stay: no redraw, the same screen (issue 19).

The shell then moves below the input itself instead of letting prompt_toolkit
lay out and draw the prompt once more (shell/final_look.py).  The input row
must keep every character and colour it had, the output must follow right
under it, and where the last drawing is not the final look (a grey
suggestion) prompt_toolkit's own redraw must still clear it.
"""

from __future__ import annotations

import re

import pytest
from term import Term

# Each input, and the line under it once it has run.
INPUTS = {"1+1": "2", "x = [1, 'a', None, 2.5]": ">>>", "print('hi', end='!')": "hi!",
          "len('ab')  # two": "2"}


def cells(term: Term, row: int) -> list[tuple]:
    """Each character of a screen row with its colours and attributes."""
    line = term.screen.buffer[row]
    return [tuple(line[x]) for x in range(term.screen.columns)]


def typed_and_drawn(term: Term, text: str) -> int:
    """Type ``text`` as a person would and wait until it is drawn; its row."""
    term.wait_idle()
    term.send(text)
    term.wait_for(lambda screen: screen.split("\n")[-1] == ">>> " + text)
    term.pump(0.1)  # the colouring and any toolbar: drawn after the echo
    return term.screen.cursor.y


@pytest.mark.parametrize(("text", "under"), INPUTS.items(), ids=list(INPUTS))
def test_the_input_row_stays_exactly_as_drawn_and_is_not_redrawn(spawn, text, under):
    term = spawn("-q")
    term.wait_prompt(1)
    term.wait_editor()  # not the plain prompt shown while it loads
    term.run("pass")
    row = typed_and_drawn(term, text)
    before, raw_from, prompts = cells(term, row), len(term.raw), term.prompts()
    term.send("\r")
    term.wait_for(lambda _: term.prompts() > prompts and term.at_prompt())
    assert cells(term, row) == before
    moved_below = term.raw[raw_from:].split(b"\n")[0]
    assert b">>>" not in moved_below  # not drawn again before the output
    lines = term.text().split("\n")
    assert lines[lines.index(">>> " + text) + 1] == under


def test_a_suggestion_on_screen_is_still_cleared_by_the_final_drawing(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("favourite = 41")
    term.send("favourite")
    term.wait_for(re.compile(r"^>>> favourite = 41$", re.M), after=term.mark())  # grey suggestion
    term.send("\r")
    term.wait_for(re.compile(r"^>>> favourite\n41\n>>>$", re.M))


def test_an_incomplete_line_drawn_in_full_still_asks_for_more(spawn):
    # Its completeness is worked out in the pause before Enter: it must say "incomplete".
    term = spawn("-q")
    term.wait_prompt(1)
    term.wait_editor()
    typed_and_drawn(term, "for i in 'ab':")
    term.send("\r")
    term.wait_for(re.compile(r"^>>> for i in 'ab':\n\.\.\.", re.M))
    term.send("print(i)\r\r")
    term.wait_for(re.compile(r"^a\nb\n>>>", re.M))
