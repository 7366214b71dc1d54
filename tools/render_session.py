"""Render the README's screenshot: a real freshrepl session in a pty, drawn as SVG.

Run:  python3 tools/render_session.py [--out docs/session.svg]

The session is typed into a real ``freshrepl`` in a pseudo-terminal (the test
suite's driver, tests/term.py), a module is edited on disk half-way through,
and the final screen, as the terminal emulator pyte holds it (characters,
colours, bold), is written out as SVG.  Nothing is drawn by hand: run it again
after a change to the shell and the picture follows.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import textwrap
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from term import Term, isolated_env  # noqa: E402

COLUMNS, ROWS = 84, 17
CELL_WIDTH, CELL_HEIGHT, PAD, TITLE = 8.4, 18, 14, 26
FOREGROUND, BACKGROUND = "#d8dee9", "#1d2129"
# The 16 ANSI colours by pyte's names (a dark theme); 256-colour cells come as hex.
PALETTE = {
    "black": "#3b4252", "red": "#e06c75", "green": "#98c379", "brown": "#e5c07b",
    "yellow": "#e5c07b", "blue": "#61afef", "magenta": "#c678dd", "cyan": "#56b6c2",
    "white": "#d8dee9", "brightblack": "#7f848e", "brightred": "#ff7b86",
    "brightgreen": "#b5e890", "brightyellow": "#ffd68a", "brightblue": "#7cc4ff",
    "brightmagenta": "#de9bf0", "brightcyan": "#7fd6e0", "brightwhite": "#ffffff",
}

MODULE = '''\
class Greeter:
    def greet(self, name):
        return f"Hello, {name}"
'''
EDITED = MODULE.replace('f"Hello, {name}"', 'f"Bonjour, {name}!"')


def record(project: Path, home: Path) -> Term:
    """Type the session; return the terminal with its final screen."""
    (project / "greeter.py").write_text(MODULE)
    config = home / "config" / "freshrepl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('color_scheme = "monokai"  # a dark theme for a dark picture\n')
    term = Term(["-q"], project, isolated_env(home, TERM="xterm-256color"), ROWS, COLUMNS)
    term.wait_prompt(1)
    term.run("from greeter import Greeter")
    term.run("g = Greeter()")
    term.run('g.greet("Ada")')
    mark = term.mark()
    (project / "greeter.py").write_text(EDITED)  # an editor saves the file
    term.wait_for("reloaded greeter", after=mark)
    term.wait_idle()
    term.run('g.greet("Ada")')  # the instance made before the edit runs the new code
    prompt = term.mark()  # the signature toolbar may draw a line below the prompt
    term.send('g.greet(')  # history suggests the rest, in grey
    term.wait_for(re.compile(r'^>>> g\.greet\("Ada"\)$', re.M), after=prompt)
    term.send('"Grace")')
    term.wait_for(re.compile(r'^>>> g\.greet\("Grace"\)$', re.M), after=prompt)
    return term


def colour(name: str, default: str) -> str:
    if name == "default":
        return default
    if re.fullmatch(r"[0-9a-fA-F]{6}", name):
        return "#" + name.lower()
    return PALETTE.get(name, default)


def runs(line: dict, columns: int) -> list[tuple[int, str, str, bool]]:
    """A screen row as (column, text, colour, bold) runs of equal style."""
    out: list[tuple[int, str, str, bool]] = []
    for x in range(columns):
        char = line[x]
        fg, bg = colour(char.fg, FOREGROUND), colour(char.bg, BACKGROUND)
        fill = bg if char.reverse else fg
        style = (fill, char.bold)
        if out and (out[-1][2], out[-1][3]) == style and out[-1][0] + len(out[-1][1]) == x:
            out[-1] = (out[-1][0], out[-1][1] + char.data, *style)
        else:
            out.append((x, char.data, *style))
    return [(x, text.rstrip(), fill, bold) for x, text, fill, bold in out if text.strip()]


def svg(screen: object, caption: str) -> str:
    lines = [screen.buffer[y] for y in range(screen.lines)]
    used = max((y for y, line in enumerate(lines) if any(line[x].data.strip() for x in range(COLUMNS))),
               default=0) + 1
    width = PAD * 2 + COLUMNS * CELL_WIDTH
    height = TITLE + PAD * 2 + used * CELL_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
        'font-size="14">',
        f'<rect width="100%" height="100%" rx="8" fill="{BACKGROUND}"/>',
        *(f'<circle cx="{18 + 18 * i}" cy="14" r="5" fill="{c}"/>'
          for i, c in enumerate(("#e06c75", "#e5c07b", "#98c379"))),
        f'<text x="{width / 2:.0f}" y="18" fill="#7f848e" text-anchor="middle" font-size="12">'
        f'{escape(caption)}</text>',
    ]
    for y, line in enumerate(lines[:used]):
        baseline = TITLE + PAD + (y + 1) * CELL_HEIGHT - 5
        for x, text, fill, bold in runs(line, COLUMNS):
            weight = ' font-weight="bold"' if bold else ""
            parts.append(
                f'<text x="{PAD + x * CELL_WIDTH:.1f}" y="{baseline}" fill="{fill}"{weight} '
                f'xml:space="preserve">{escape(text)}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "session.svg"))
    out = Path(parser.parse_args().out)
    with tempfile.TemporaryDirectory() as tmp:
        project, home = Path(tmp) / "project", Path(tmp) / "home"
        project.mkdir()
        term = record(project, home)
        try:
            caption = "freshrepl — greeter.py edited and saved while the session runs"
            picture = svg(term.screen, caption)
        finally:
            term.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(picture)
    print(f"wrote {out}")
    print(textwrap.indent(term.text(), "  "))


if __name__ == "__main__":
    main()
