"""freshrepl's own colours (``color_scheme = "default"``): readable on dark and light terminals.

Only the terminal's own foreground, attributes (bold, italic) and the two
ANSI colours whose usual shades contrast with both a black and a white
background (red, magenta), plus green for strings: a terminal theme tunes
its ANSI colours to its background, where a fixed 256-colour grey (pygments'
"default" gives numbers and operators 241) is faint on a dark one.  The
shell's editor and the kernel's results and tracebacks use the same table;
any other ``color_scheme`` is a pygments style, used as it is.  Imports
nothing: pygments loads only when ``pygments_style`` is called.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    from typing import Any

NAME = "default"

# pygments token names -> pygments style strings (a token without an entry
# takes its parent's; unlisted ones keep the terminal's foreground).
STYLES = {
    "Keyword": "bold",
    "Keyword.Constant": "bold ansimagenta",
    "Name.Function": "bold",
    "Name.Class": "bold",
    "Name.Decorator": "ansimagenta",
    "Name.Exception": "bold ansired",
    "Literal.String": "ansigreen",
    "Literal.String.Escape": "bold ansigreen",
    "Literal.Number": "ansimagenta",
    "Comment": "italic",
    "Generic.Error": "bold ansired",
    "Generic.Traceback": "bold",
    "Error": "ansired",
}

_SGR = {"bold": "1", "italic": "3", "underline": "4",
        "ansired": "31", "ansigreen": "32", "ansimagenta": "35"}


def style_of(token: str) -> str:
    """The style string of a pygments token name (``"Token.Literal.Number.Integer"`` finds ``Literal.Number``)."""
    parts = token.removeprefix("Token.").split(".")
    while parts:
        style = STYLES.get(".".join(parts))
        if style is not None:
            return style
        parts.pop()
    return ""


def escapes(token: str) -> tuple[str, str]:
    """The terminal escapes before and after text of this token (empty when it keeps the default)."""
    codes = [_SGR[word] for word in style_of(token).split()]
    if not codes:
        return "", ""
    return f"\x1b[{';'.join(codes)}m", "\x1b[0m"


def pygments_style() -> Any:
    """The table as a pygments ``Style`` class (for pygments' formatters and prompt_toolkit)."""
    from pygments.style import Style
    from pygments.token import string_to_tokentype

    styles = {string_to_tokentype(name): style for name, style in STYLES.items()}
    return type("FreshreplStyle", (Style,), {"styles": styles, "background_color": ""})
