"""The table of settings: each key's name, type, default, choices, variable, option and help, once.

Everything else is made from ``SETTINGS``: the fields' defaults of
``shell/options.Options``, the command line's shell options and their part of
``--help`` (``cli.py``), the config file's check and key list
(``shell/config.py``), the environment variables that override the file, and
the kernel's share of them (``protocol.KernelConfig``).

Precedence, lowest first: the default, the config file, the setting's
environment variable, the command line.  ``NO_COLOR`` and ``TERM=dumb`` turn
colour off like ``--no-color`` (``cli.py``).

Imported by both processes before anything runs: plain classes, nothing
imported at module level.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; the annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


class SettingError(ValueError):
    """A value a setting cannot take; the message says why, without the setting's name."""

    def about(self, subject: str) -> str:
        """The message with what it is about: ``'x' must be ...``, ``--python: no ...``."""
        predicate = str(self).startswith(("must ", "needs "))
        return f"{subject}{' ' if predicate else ': '}{self}"


class Setting:
    """One setting (a plain class: a dataclass costs start-up time)."""

    __slots__ = ("name", "kind", "default", "help", "choices", "metavar", "env", "env_unit",
                 "option", "resolve")

    def __init__(
        self, name: str, kind: type, default: object, help: str, *,
        choices: tuple[str, ...] = (), metavar: str = "", env: str = "", env_unit: str = "",
        option: str = "", resolve: Callable[[object, Mapping[str, str]], object] | None = None,
    ) -> None:
        self.name = name  # the config file's key and the Options field
        self.kind = kind  # bool, int or str
        self.default = default  # None: computed at start (python: the running interpreter)
        self.help = help
        self.choices = choices
        self.metavar = metavar or (
            "|".join(f'"{c}"' for c in choices) if choices
            else {bool: "true|false", int: "N"}.get(kind, '"TEXT"')
        )
        # The environment variable that overrides the file, and its unit when it
        # is not the key's ("s" for a key in ms): such a variable takes decimals.
        self.env = env
        self.env_unit = env_unit
        # The command-line option: "--no-x" / "--x" sets a bool to the other value
        # than its default; an option with a value is written "--x VALUE".
        self.option = option
        self.resolve = resolve  # the value as used (python: a full path), or SettingError

    @property
    def option_name(self) -> str:
        return self.option.split()[0] if self.option else ""

    @property
    def option_takes_value(self) -> bool:
        return " " in self.option

    def check(self, value: object, environ: Mapping[str, str]) -> object:
        """The value as used, or ``SettingError`` saying what is wrong with it."""
        if type(value) is not self.kind:  # a TOML boolean is not an integer here
            raise SettingError(f"must be {_KIND_NAMES[self.kind]}")
        if self.choices and value not in self.choices:
            raise SettingError(f"must be one of {', '.join(self.choices)}")
        if self.kind is int and isinstance(value, int) and value < 0:
            raise SettingError("must not be negative")
        return self.resolve(value, environ) if self.resolve is not None else value

    def from_env(self, text: str) -> float:
        """The variable's value in the key's unit; ``SettingError`` unless a number >= 0."""
        try:
            number = float(text) if self.env_unit else int(text)
        except ValueError:
            number = -1
        if number < 0:
            raise SettingError("must be a number >= 0")
        return number * _UNITS[self.env_unit] if self.env_unit else number

    def in_env_unit(self, value: float) -> float:
        return value / _UNITS[self.env_unit] if self.env_unit else value


_KIND_NAMES = {bool: "true or false", int: "an integer", str: "a string"}
_UNITS = {"s": 1000.0, "MB": 1.0}  # the key's value per unit of its variable


def find_python(name: object, environ: Mapping[str, str]) -> str:
    """Resolve the kernel's interpreter: a path as given (made absolute), a bare name on PATH.

    Symlinks are not resolved: a virtual environment's ``python`` is a symlink
    whose location is what makes it that environment's interpreter.
    """
    import os

    name = str(name)
    if not name:
        raise SettingError("needs a path to an interpreter")
    if os.sep in name or (os.altsep and os.altsep in name):
        candidates = [name]
    else:
        # Like a shell: a bare name is searched on PATH (an empty entry means cwd).
        path = environ.get("PATH", os.defpath)
        candidates = [os.path.join(d or os.curdir, name) for d in path.split(os.pathsep)]
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    raise SettingError(f"no executable interpreter at {name!r}")


def _pygments_style(name: object, environ: Mapping[str, str]) -> object:
    from pygments.styles import get_style_by_name
    from pygments.util import ClassNotFound

    try:
        get_style_by_name(str(name))
    except ClassNotFound:
        raise SettingError(f"no pygments style named {name!r}") from None
    return name


SETTINGS: dict[str, Setting] = {
    setting.name: setting
    for setting in (
        Setting("color", bool, True, "colour output and highlighting (off also when NO_COLOR is "
                "set or TERM=dumb)", option="--no-color"),
        Setting("color_scheme", str, "default", "pygments style for highlighting, e.g. \"monokai\" "
                "(\"default\": freshrepl's own, for dark and light terminals)",
                metavar='"NAME"', resolve=_pygments_style),
        Setting("watch", bool, True, "watch imported modules' files (off: :reload still applies "
                "changes)", option="--no-watch"),
        Setting("python", str, None, "interpreter for the kernel and for hand-over (default: the "
                "one freshrepl runs on; a bare name is looked up on PATH)", metavar='"PATH"',
                option="--python PATH", resolve=find_python),
        Setting("on_unsafe", str, "ask", "when an edit cannot be applied in place: ask, restart "
                "the kernel and replay, or keep the old code", choices=("ask", "restart", "keep"),
                option="--on-unsafe {ask,restart,keep}"),
        Setting("quiet", bool, False, "no banner (as -q)"),
        Setting("vi_mode", bool, False, "vi key bindings instead of emacs", option="--vi"),
        Setting("suggestions", bool, True, "grey suggestions from history as you type"),
        Setting("complete_while_typing", bool, True, "completion menu while typing; Tab always "
                "completes"),
        Setting("confirm_exit", bool, False, "ask before Ctrl-D leaves"),
        Setting("history_size", int, 10000, "newest history entries loaded at start"),
        Setting("checkpoints", int, 4, "paused kernels a restart can resume, at most (0: none)",
                env="FRESHREPL_CHECKPOINTS"),
        Setting("checkpoint_memory_mb", int, 1024, "memory the checkpoints may hold together",
                env="FRESHREPL_CHECKPOINT_MEMORY", env_unit="MB"),
        Setting("checkpoint_after_ms", int, 1000, "an input that took this long is followed by "
                "a checkpoint", env="FRESHREPL_CHECKPOINT_AFTER", env_unit="s"),
        Setting("undo_checkpoints", int, 3, "checkpoints taken while idle before each input, "
                "for :undo, at most (0: none; :undo then replays)", env="FRESHREPL_UNDO_CHECKPOINTS"),
        Setting("restart_from", str, "checkpoint", "where restarts start: the newest usable "
                "checkpoint, or a fresh kernel that replays everything",
                choices=("checkpoint", "fresh")),
        Setting("stale_values", bool, True, "after a reload, name the values the changed code "
                "computed (:stale, :rerun)"),
    )
}


def default(name: str) -> Any:
    """The table's default of ``name``, for the typed field that holds the setting."""
    return SETTINGS[name].default
