"""The settings of one interactive session, as parsed from the command line."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

ON_UNSAFE_CHOICES = ("ask", "restart", "keep")


@dataclass
class Options:
    """Everything the shell needs to know to start; built by ``freshrepl.cli``."""

    quiet: bool = False  # -q: no banner
    color: bool = True  # False with --no-color, NO_COLOR or TERM=dumb
    watch: bool = True  # False with --no-watch
    python: str = field(default_factory=lambda: sys.executable)  # --python: kernel interpreter
    on_unsafe: str = "ask"  # --on-unsafe {ask,restart,keep}
    # What the kernel runs before the first prompt (-i forms): "script", "command",
    # "module", or None for a plain interactive session.
    run_kind: str | None = None
    run_target: str | None = None  # the script path, the -c command or the -m module name
    argv: list[str] = field(default_factory=lambda: [""])  # the kernel's sys.argv
    # Interpreter flags that change how code runs (-B, -E, -I, -O, -s, -S, -u, -W x,
    # -X y, ...), passed to the kernel interpreter as given.
    python_flags: list[str] = field(default_factory=list)
