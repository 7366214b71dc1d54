"""Unit tests of the history file format and of when the editor considers an input complete."""

from __future__ import annotations

import code
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freshrepl.shell.editor import is_complete, next_indent, submitted_text
from freshrepl.shell.history import SafeFileHistory, format_entry, looks_like_history, parse_history

# Entries as a user could type them: any text but NUL and lone carriage returns.
entries = st.text(st.characters(blacklist_characters="\x00\r", blacklist_categories=("Cs",)), min_size=1)


@given(st.lists(entries, min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_history_entries_round_trip_whole(items):
    text = "".join(format_entry(item) for item in items)
    assert looks_like_history(text)
    assert parse_history(text) == items


def test_history_file_is_private_and_appended(tmp_path):
    path = tmp_path / "state" / "history"
    warnings: list[str] = []
    first, second = SafeFileHistory(str(path), warnings.append), SafeFileHistory(str(path), warnings.append)
    first.store_string("a = 1")
    first.write_pending()
    second.store_string("def f():\n    return 1")
    second.write_pending()
    first.store_string("b = 2")
    first.write_pending()
    assert (os.stat(path).st_mode & 0o777) == 0o600
    assert list(SafeFileHistory(str(path), warnings.append).load_history_strings()) == [
        "b = 2", "def f():\n    return 1", "a = 1"
    ]
    assert warnings == []


class _DryConsole(code.InteractiveConsole):
    """python3's own console, fed line by line, that compiles but never runs."""

    def runcode(self, code_object: object) -> None:
        pass

    def showsyntaxerror(self, filename: str | None = None, **kwargs: object) -> None:
        pass


def _console_needs_more(source: str) -> bool:
    """Would python3 still be showing '... ' after these lines?"""
    console = _DryConsole()
    more = False
    for line in source.split("\n"):
        more = console.push(line)
    return more


@pytest.mark.parametrize(
    "source",
    [
        "1 + 1", "x = (1,", "x = (1,\n2)", "y = 1 + \\", "def f():", "def f():\n    return 1",
        "def f():\n    return 1\n", "for i in range(3):\n    print(i)\n", "if x:\n    pass\nelse:",
        "class C:\n    pass\n    ", "x = = 1", "@decorator", "'''open string", "while True: pass",
        "import os", ":help", "",
    ],
)
def test_complete_exactly_when_python3_would_run_it(source):
    assert is_complete(source) == (not _console_needs_more(source.rstrip(" ")) or source.startswith(":"))


def test_submitted_text_drops_the_blank_line_that_ended_a_block():
    assert submitted_text("def f():\n    return 1\n    ") == "def f():\n    return 1"


@pytest.mark.parametrize(
    "line, indent",
    [("def f():", "    "), ("    if x:  # note", "        "), ("        return 1", "    "),
     ("    x = 1", "    "), ("pass", "")],
)
def test_next_indent(line, indent):
    assert next_indent(line) == indent


def test_history_entries_reach_the_file_at_write_pending_in_order(tmp_path):
    """Accepting an input costs no file work; write_pending appends what came since, once."""
    path = tmp_path / "history"
    warnings: list[str] = []
    history = SafeFileHistory(str(path), warnings.append)
    history.append_string("a = 1")
    history.append_string("b = 2")
    assert not path.exists() and history.get_strings() == ["a = 1", "b = 2"]
    history.write_pending()
    history.write_pending()  # nothing new: nothing written twice
    assert list(SafeFileHistory(str(path), warnings.append).load_history_strings()) == ["b = 2", "a = 1"]
    assert warnings == []


def test_history_holding_a_typed_replacement_character_is_not_called_damaged(tmp_path):
    path = tmp_path / "history"
    warnings: list[str] = []
    history = SafeFileHistory(str(path), warnings.append)
    history.store_string("s = '\ufffd'")
    history.write_pending()
    assert list(SafeFileHistory(str(path), warnings.append).load_history_strings()) == ["s = '\ufffd'"]
    assert warnings == []


def test_history_with_invalid_utf8_is_called_damaged_once(tmp_path):
    path = tmp_path / "history"
    path.write_bytes(b"\n# stamp\n+ok = 1\n+bad = '\xff'\n")
    warnings: list[str] = []
    history = SafeFileHistory(str(path), warnings.append)
    assert list(history.load_history_strings()) == ["ok = 1\nbad = '\ufffd'"]
    assert len(warnings) == 1 and "damaged" in warnings[0]
