"""Wrapping the shell's messages at the terminal's width: words whole, paths at separators."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from freshrepl.shell.wrap import INDENT, columns, wrap


def test_short_line_is_left_alone():
    assert wrap("↻ reloaded points (Point.__repr__ added)", 80) == "↻ reloaded points (Point.__repr__ added)"


def test_breaks_between_words_and_indents_what_follows():
    text = "⚠ cannot reload shapes: the class Circle changed its base classes, which instances keep"
    assert wrap(text, 40) == (
        "⚠ cannot reload shapes: the class Circle\n"
        "  changed its base classes, which\n"
        "  instances keep"
    )


def test_a_long_path_breaks_after_a_separator():
    path = "/home/ada/projects/freshrepl-demo/src/package/subpackage/module_with_a_long_name.py"
    wrapped = wrap(f"✗ not reloaded module_with_a_long_name: {path}:12: SyntaxError", 50)
    lines = wrapped.split("\n")
    assert all(columns(line) <= 50 for line in lines)
    assert path in "".join(line.removeprefix(INDENT) for line in lines)
    assert [line[-1] for line in lines[1:-1]] == ["/"] * (len(lines) - 2), wrapped


def test_a_word_without_separators_breaks_at_the_width():
    assert wrap("x " + "a" * 45, 20).split("\n") == ["x " + "a" * 18, INDENT + "a" * 18, INDENT + "a" * 9]


def test_wide_characters_take_two_columns():
    assert wrap("名前 " * 12, 24).split("\n")[0] == "名前 名前 名前 名前 名前"


def test_a_narrow_terminal_gets_the_text_as_it_is():
    assert wrap("a b c " * 10, 10) == "a b c " * 10


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=300),
       st.integers(min_value=20, max_value=200))
def test_every_line_fits_and_no_character_is_lost(text, width):
    wrapped = wrap(text, width)
    assert all(columns(line) <= width for line in wrapped.split("\n"))
    assert "".join(wrapped.split()) == "".join(text.split())
