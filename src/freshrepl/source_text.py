"""Reading Python source text without parsing it: string ends, the text help may read (both processes).

Everything here runs as the user types, on whatever was typed or pasted:
each function reads its text once, left to right or right to left (no
regular expression that can backtrack over a long line).
"""

from __future__ import annotations

# Completion and signature help read at most this much of the text before the
# cursor: what is typed or pasted can never make them slow.
HELP_TEXT_LIMIT = 4096

_IDENTIFIER_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def help_context(text: str) -> str | None:
    """The part of ``text`` (before the cursor) that completion and signature help read.

    Whole lines only, at most ``HELP_TEXT_LIMIT`` characters: the text from
    the first line start within the last ``HELP_TEXT_LIMIT`` characters.  None
    when the cursor's own line is longer than that: cut in the middle, a
    string or bracket could look open or closed wrongly, so no help is given.
    """
    if len(text) <= HELP_TEXT_LIMIT:
        return text
    newline = text.find("\n", len(text) - HELP_TEXT_LIMIT - 1)
    if newline < 0:
        return None
    return text[newline + 1:]


def string_end(text: str, start: int) -> int | None:
    """Index just past the string literal opening at ``start``; None if it is still open.

    An unterminated one-line string ends with its line (the index of the newline).
    """
    quote = text[start:start + 3] if text[start:start + 3] in ('"""', "'''") else text[start]
    stops = _Stops(text, (quote[0], "\\") if len(quote) == 3 else (quote, "\\", "\n"))
    i = start + len(quote)
    while (stop := stops.next(i)) >= 0:
        if text[stop] == "\\":
            i = stop + 2
        elif text[stop] == "\n":
            return stop
        elif text.startswith(quote, stop):
            return stop + len(quote)
        else:
            i = stop + 1
    return None


class _Stops:
    """The next index of any of some characters; each occurrence is searched for once (linear)."""

    def __init__(self, text: str, chars: tuple[str, ...]) -> None:
        self.text = text
        self.found = dict.fromkeys(chars, -2)  # -2: not searched yet; -1: none left

    def next(self, start: int) -> int:
        best = -1
        for char, index in self.found.items():
            if index == -2 or 0 <= index < start:
                index = self.found[char] = self.text.find(char, start)
            if index >= 0 and (best < 0 or index < best):
                best = index
        return best


def dotted_name_before(text: str, end: int) -> int:
    """Where the run of identifier characters and dots ending at ``end`` starts."""
    start = end
    while start > 0 and (text[start - 1] in _IDENTIFIER_ASCII or text[start - 1] == "."
                         or (text[start - 1] > "\x7f" and text[start - 1].isidentifier())):
        start -= 1
    return start
