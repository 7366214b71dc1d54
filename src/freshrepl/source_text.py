"""Reading Python source text without parsing it: where a string literal ends (both processes)."""

from __future__ import annotations


def string_end(text: str, start: int) -> int | None:
    """Index just past the string literal opening at ``start``; None if it is still open.

    An unterminated one-line string ends with its line (the index of the newline).
    """
    quote = text[start:start + 3] if text[start:start + 3] in ('"""', "'''") else text[start]
    i = start + len(quote)
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(quote, i):
            return i + len(quote)
        if text[i] == "\n" and len(quote) == 1:
            return i
        i += 1
    return None
