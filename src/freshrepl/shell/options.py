"""The settings of one interactive session: the command line over the config file over defaults."""

from __future__ import annotations

import os
import sys

from freshrepl.record import field, record

ON_UNSAFE_CHOICES = ("ask", "restart", "keep")


@record  # a dataclass to the type checker, lighter to import (record.py)
class Options:
    """Everything the shell needs to know to start; built by ``freshrepl.cli``.

    Field names double as the config file's keys (see ``shell/config.py``).
    """

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
    # Editing, from the config file (and --vi).
    vi_mode: bool = False
    color_scheme: str = "default"  # a pygments style name
    suggestions: bool = True  # grey completions from history as you type
    complete_while_typing: bool = True
    confirm_exit: bool = False  # ask before Ctrl-D leaves
    history_size: int = 10000  # newest history entries loaded at start
    # Checkpointed restarts (the FRESHREPL_CHECKPOINT* variables override these).
    checkpoints: int = 4  # at most this many at once; 0: none
    checkpoint_memory_mb: int = 1024  # held by all of them together
    checkpoint_after_ms: int = 1000  # a checkpoint follows an input that took this long
    restart_from: str = "checkpoint"  # or "fresh": every restart replays from a new kernel
    stale_values: bool = True  # name values computed by code a reload changed (:stale, :rerun)
    # The fields the command line (or the environment: NO_COLOR) set; the file
    # does not override them.
    given: frozenset[str] = field(default_factory=frozenset, compare=False)
    config_warning: str | None = field(default=None, compare=False)  # shown once at start

    @property
    def runs_startup_code(self) -> bool:
        """Does the kernel run code before the first input (PYTHONSTARTUP, the -i forms)?"""
        return bool(self.run_kind or os.environ.get("PYTHONSTARTUP"))
