"""The settings of one interactive session: the command line over the config file over defaults."""

from __future__ import annotations

import os
import sys

from freshrepl.dataclass_lite import dataclass_lite, field
from freshrepl.settings import default


@dataclass_lite  # a dataclass to the type checker, lighter to import (record.py)
class Options:
    """Everything the shell needs to know to start; built by ``freshrepl.cli``.

    The settings' fields are named, typed and defaulted after the table of
    ``freshrepl/settings.py`` (a test holds them to it), which says what each means.
    """

    quiet: bool = default("quiet")
    color: bool = default("color")
    watch: bool = default("watch")
    python: str = field(default_factory=lambda: sys.executable)  # the table's None: this one
    on_unsafe: str = default("on_unsafe")
    # What the kernel runs before the first prompt (-i forms): "script", "command",
    # "module", or None for a plain interactive session.
    run_kind: str | None = None
    run_target: str | None = None  # the script path, the -c command or the -m module name
    argv: list[str] = field(default_factory=lambda: [""])  # the kernel's sys.argv
    # Interpreter flags that change how code runs (-B, -E, -I, -O, -s, -S, -u, -W x,
    # -X y, ...), passed to the kernel interpreter as given.
    python_flags: list[str] = field(default_factory=list)
    vi_mode: bool = default("vi_mode")
    color_scheme: str = default("color_scheme")
    suggestions: bool = default("suggestions")
    complete_while_typing: bool = default("complete_while_typing")
    confirm_exit: bool = default("confirm_exit")
    history_size: int = default("history_size")
    checkpoints: int = default("checkpoints")
    # Their environment variables take decimals (FRESHREPL_CHECKPOINT_AFTER=0.3).
    checkpoint_memory_mb: float = default("checkpoint_memory_mb")
    checkpoint_after_ms: float = default("checkpoint_after_ms")
    undo_checkpoints: int = default("undo_checkpoints")
    restart_from: str = default("restart_from")
    stale_values: bool = default("stale_values")
    # The fields the command line (or the environment: NO_COLOR) set; neither the
    # file nor the settings' variables override them.
    given: frozenset[str] = field(default_factory=frozenset, compare=False)
    config_warning: str | None = field(default=None, compare=False)  # shown once at start
    # One per bad value of a setting's environment variable, shown at start.
    environment_warnings: list[str] = field(default_factory=list, compare=False)

    @property
    def runs_startup_code(self) -> bool:
        """Does the kernel run code before the first input (PYTHONSTARTUP, the -i forms)?"""
        return bool(self.run_kind or os.environ.get("PYTHONSTARTUP"))
