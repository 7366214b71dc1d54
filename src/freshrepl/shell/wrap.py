"""Wrapping the shell's own messages (notices, warnings) at the terminal's width.

A terminal breaks a long line wherever the width ends, mid-word.  These
lines break between words instead, continue indented under the text, and a
word too long for a line (a path, a dotted name) breaks after a separator
(``/`` first, else ``.``, ``_`` ...), at the width only when it has none.  Plain text only
(colour goes on after); wide characters take two columns.
"""

from __future__ import annotations

import unicodedata

INDENT = "  "  # continuation lines start under the text after "↻ " or "⚠ "
# A long word breaks after a path separator if it can, else after one of the others.
SEPARATORS = ("/\\", ".:_-,=)")
_NARROWEST = 20  # below this, wrapping would only make things worse


def wrap(text: str, width: int) -> str:
    """``text`` with each line broken to fit ``width`` columns."""
    if width < _NARROWEST:
        return text
    return "\n".join(_wrap_line(line, width) for line in text.split("\n"))


def columns(text: str) -> int:
    """How many columns ``text`` takes on a terminal (wide characters two, combining none)."""
    return sum(_char_columns(char) for char in text)


def _char_columns(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Cc", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _wrap_line(line: str, width: int) -> str:
    if columns(line) <= width:
        return line
    lines: list[str] = []
    current, used = "", 0
    for word in line.split(" "):
        size = columns(word)
        room = width - used - (1 if current else 0)
        if size <= room:
            current, used = (current + " " + word, used + 1 + size) if current else (word, size)
            continue
        if current and size <= width - len(INDENT):
            lines.append(current)
            current, used = INDENT + word, len(INDENT) + size
            continue
        # Too long for any line: broken after its separators, its head on this line if there is room.
        if current and room < _NARROWEST // 2:
            lines.append(current)
            current, used = INDENT, len(INDENT)
        elif current:
            current, used = current + " ", used + 1
        head, *rest = _pieces(word, width - used, width - len(INDENT))
        current += head
        for piece in rest:
            lines.append(current)
            current = INDENT + piece
        used = columns(current)
    lines.append(current)
    return "\n".join(lines)


def _pieces(word: str, first: int, rest: int) -> list[str]:
    """``word`` cut to fit ``first`` columns, then ``rest`` each: after a separator if there is one."""
    pieces = []
    room = first
    while columns(word) > room:
        cut = _cut(word, room)
        pieces.append(word[:cut])
        word, room = word[cut:], rest
    pieces.append(word)
    return pieces


def _cut(word: str, room: int) -> int:
    """Where to cut ``word`` so its head fits ``room`` columns (never 0)."""
    fits, used = 0, 0
    for index, char in enumerate(word):
        used += _char_columns(char)
        if used > room:
            break
        fits = index + 1
    fits = max(fits, 1)
    for separators in SEPARATORS:
        for index in range(fits, 0, -1):
            if word[index - 1] in separators:
                return index
    return fits
