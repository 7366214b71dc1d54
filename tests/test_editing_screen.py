"""The screen as a careful user expects it, read off a terminal emulator (pyte).

The signature line sits right under the input, wherever the input is;
notices and warnings break between words (a path after a separator); Tab
with the menu showing first inserts what all matches share, then cycles.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from term import Term

HELPERS = """\
def ask(question, default=None):
    return question

def answer(value):
    return value

def ansi(code):
    return code
"""


def write_config(home: Path, text: str) -> Path:
    config = home / "config" / "freshrepl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(text)
    return config


def rows(term: Term) -> list[str]:
    """The rows of the screen as shown now (not the scrollback)."""
    return [line.rstrip() for line in term.screen.display]


def cursor_row(term: Term) -> int:
    return term.screen.cursor.y


def started(spawn, project: Path, **kwargs) -> Term:
    (project / "helpers.py").write_text(HELPERS)
    term = spawn("-q", **kwargs)
    term.wait_prompt(1)
    term.run("import helpers")
    return term


def test_signature_is_on_the_row_under_the_input_at_the_top_of_a_tall_terminal(spawn, project):
    term = started(spawn, project, rows=40)
    term.send("helpers.ask(")
    term.wait_for("ask(question, default=None)")
    screen = rows(term)
    row = screen.index(">>> helpers.ask(")
    assert row < 5
    # The screen may be read while a drawing is under way (the cursor away drawing the
    # toolbar): wait for the drawing to end with the cursor back on the input.
    deadline = time.monotonic() + 5
    while cursor_row(term) != row:
        assert time.monotonic() < deadline, f"cursor on row {cursor_row(term)}, input on {row}"
        term.pump(0.05)
    screen = rows(term)
    assert screen[row + 1] == "ask(question, default=None)"
    assert not any(screen[row + 2:]), screen  # nothing on the last rows


def test_signature_stays_under_the_input_near_the_bottom(spawn, project):
    term = started(spawn, project, rows=12)
    for n in range(12):
        term.run(f"{n}")
    term.send("helpers.answer(")
    term.wait_for("answer(value)")
    screen = rows(term)
    row = screen.index(">>> helpers.answer(")
    assert screen[row + 1] == "answer(value)"


def test_completion_menu_opens_under_the_signature_without_covering_it(spawn, project):
    term = started(spawn, project)
    term.send("helpers.ask(helpers.a")
    # The menu and the signature come from two requests: whichever is answered first
    # is drawn first.
    menu = re.compile(r"^ +answer\($", re.M)
    term.wait_for(lambda text: bool(menu.search(text)) and "ask(question, default=None)" in text)
    screen = rows(term)
    row = screen.index(">>> helpers.ask(helpers.a")
    assert screen[row + 1] == "ask(question, default=None)"
    assert [line.strip() for line in screen[row + 2:row + 5]] == ["ansi(", "answer(", "ask("]


def test_tab_with_the_menu_showing_inserts_what_all_matches_share_then_cycles(spawn, project):
    term = started(spawn, project)
    term.send("helpers.")
    term.wait_for(re.compile(r"^ +answer\($", re.M))  # the menu, opened while typing
    term.send("\t")
    term.wait_for(re.compile(r"^>>> helpers\.a$", re.M))  # the shared part only
    term.send("\t")
    term.wait_for(re.compile(r"^>>> helpers\.ansi\($", re.M))  # then the first match
    term.send("\t")
    term.wait_for(re.compile(r"^>>> helpers\.answer\($", re.M))  # and the next
    term.send("\x1b[F)\r")  # past the end, close the call; menu gone, input complete
    term.wait_for(re.compile(r"^TypeError", re.M))
    term.wait_idle()


def test_tab_without_the_menu_inserts_the_shared_part_then_opens_the_menu(spawn, project, home):
    write_config(home, "complete_while_typing = false\n")
    term = started(spawn, project)
    term.send("helpers.")
    term.wait_for(re.compile(r"^>>> helpers\.$", re.M))
    term.send("\t")
    term.wait_for(re.compile(r"^>>> helpers\.a$", re.M))
    term.send("\t")
    term.wait_for(re.compile(r"^ +answer\($", re.M))
    assert rows(term)[cursor_row(term)] == ">>> helpers.a"


def test_notices_break_between_words(spawn, project):
    module = project / "shapes.py"
    module.write_text("X = 1\n")
    term = spawn("-q", cols=40)
    term.wait_prompt(1)
    term.run("import shapes")
    mark = term.mark()
    module.write_text("X = [1,, 2]\n")
    term.wait_for("old shapes)", after=mark)
    lines = term.text()[mark:].split("\n")
    start = next(n for n, line in enumerate(lines) if line.startswith("✗ not reloaded shapes"))
    end = next(n for n, line in enumerate(lines) if line.endswith("old shapes)"))
    notice = lines[start:end + 1]
    try:
        compile("X = [1,, 2]\n", "shapes.py", "exec")
    except SyntaxError as error:  # the kernel runs this same interpreter
        message = error.msg
    one_line = f"✗ not reloaded shapes: shapes.py:1: SyntaxError: {message}  (kept the old shapes)"
    assert len(notice) > 1 and all(len(line) <= 40 for line in notice)
    assert all(line.startswith("  ") for line in notice[1:])  # continued under the text
    assert " ".join(notice).split() == one_line.split()  # a word cut in two would be two words


def test_a_warning_breaks_a_long_path_after_a_separator(spawn, home):
    config = write_config(home, "no_such_key = 1\n")
    term = spawn("-q", cols=40)
    term.wait_prompt(1)
    text = term.text()
    warning = text[:text.index(">>>")].rstrip("\n").split("\n")
    assert warning[0].startswith("freshrepl: warning:")
    assert all(len(line) <= 40 for line in warning)
    # Lines joined back as the terminal would have shown them unwrapped: the path is whole,
    # and each break inside it came right after a "/".
    pieces = [line.removeprefix("  ") if n else line for n, line in enumerate(warning)]
    joined = "".join(pieces)
    start = joined.index(str(config))
    breaks = [sum(map(len, pieces[:n])) for n in range(1, len(pieces))]
    inside = [at for at in breaks if start < at < start + len(str(config))]
    assert len(inside) >= 2 and all(joined[at - 1] == "/" for at in inside), warning
    assert term.run("1+1") == "2"


def test_default_colours_are_the_terminals_own_not_a_fixed_grey(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("x = 1")
    assert term.run("[12, 'ab', None]") == "[12, 'ab', None]"
    row = term.screen.cursor.y - 1  # the result, above the new prompt
    cells = term.screen.buffer[row]
    # pyte names the 16 ANSI colours (a theme tunes them to its background);
    # a 256-colour one would be a hex value such as "626262" (colour 241).
    assert (cells[1].fg, cells[6].fg, cells[11].fg, cells[11].bold) == ("magenta", "green", "magenta", True)
    assert cells[0].fg == "default"  # brackets and commas keep the terminal's foreground
    assert b"38;5;241" not in term.raw
