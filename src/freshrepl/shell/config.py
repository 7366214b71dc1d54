"""The config file: where it lives, the keys it may hold, and how they reach the session's Options.

``$XDG_CONFIG_HOME/freshrepl/config.toml`` (default ``~/.config/freshrepl/config.toml``)
holds flat ``key = value`` lines.  Precedence, lowest first: the defaults, the
file, the environment (``NO_COLOR``, ``TERM=dumb``), the command line.  A file
that cannot be read or is not valid TOML, an unknown key, or a value of the
wrong type gives one warning naming the file and the key(s); what is wrong
keeps its default and the session goes on.

Start-up matters and most files are a few flat lines, so those are read by a
small parser of that subset (booleans, decimal integers, strings without
escapes, comments).  Anything else goes to ``tomllib`` (Python 3.11+), which
gives the verdict; on 3.10, which has no ``tomllib``, such a file is reported
as outside the form freshrepl reads there, and the defaults are used.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs start-up time; the annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Mapping

    from freshrepl.shell.options import Options


class Key:
    """One setting the file may hold (a plain class: a dataclass costs start-up time)."""

    __slots__ = ("name", "kind", "help", "choices", "value")

    def __init__(self, name: str, kind: type, help: str, choices: tuple[str, ...] = (),
                 value: str = "") -> None:
        self.name = name
        self.kind = kind  # bool, int or str
        self.help = help
        self.choices = choices
        # How a value looks, for the help: true|false, N, "NAME", "ask"|"keep"...
        self.value = value or (
            "|".join(f'"{c}"' for c in choices) if choices
            else {bool: "true|false", int: "N"}.get(kind, '"TEXT"')
        )


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key("color", bool, "colour output and highlighting (false: as --no-color)"),
        Key("color_scheme", str, "pygments style for highlighting, e.g. \"monokai\" (default \"default\")",
            value='"NAME"'),
        Key("watch", bool, "watch imported modules' files (false: as --no-watch)"),
        Key("python", str, "interpreter for the kernel (as --python)", value='"PATH"'),
        Key("on_unsafe", str, "when an edit cannot be applied in place (as --on-unsafe)",
            ("ask", "restart", "keep")),
        Key("quiet", bool, "no banner (as -q)"),
        Key("vi_mode", bool, "vi key bindings instead of emacs (as --vi)"),
        Key("suggestions", bool, "grey suggestions from history as you type (default true)"),
        Key("complete_while_typing", bool, "completion menu while typing; Tab always completes "
            "(default true)"),
        Key("confirm_exit", bool, "ask before Ctrl-D leaves (default false)"),
        Key("history_size", int, "newest history entries loaded at start (default 10000)"),
        Key("checkpoints", int, "paused kernels a restart can resume, at most (default 4; 0: none)"),
        Key("checkpoint_memory_mb", int, "memory the checkpoints may hold together (default 1024)"),
        Key("checkpoint_after_ms", int, "an input that took this long is followed by a "
            "checkpoint (default 1000)"),
        Key("restart_from", str, "where restarts start: the newest usable checkpoint, or a fresh "
            "kernel that replays everything (default \"checkpoint\")", ("checkpoint", "fresh")),
        Key("stale_values", bool, "after a reload, name the values the changed code computed "
            "(:stale, :rerun; default true)"),
    )
}

_COUNTS = ("history_size", "checkpoints", "checkpoint_memory_mb", "checkpoint_after_ms")
_KIND_NAMES = {bool: "true or false", int: "an integer", str: "a string"}


def config_path(environ: Mapping[str, str]) -> str:
    """``$XDG_CONFIG_HOME/freshrepl/config.toml``, else under ``~/.config``."""
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".config"
    )
    return os.path.join(base, "freshrepl", "config.toml")


def keys_help() -> str:
    """One line per key, for ``--help`` and the README."""
    return "\n".join(f"  {key.name} = {key.value}\n        {key.help}" for key in KEYS.values())


def apply_config(options: Options, environ: Mapping[str, str]) -> None:
    """Read the config file into ``options`` where the command line left a value open."""
    path = config_path(environ)
    values, problem = read_config(path)
    bad: list[str] = []
    for name, value in values.items():
        why = _check(name, value, environ)
        if why:
            bad.append(why)
        elif name not in options.given:
            setattr(options, name, _resolve(name, value, environ))
    if problem:
        options.config_warning = f"{path}: {problem}; using the defaults"
    elif bad:
        options.config_warning = f"{path}: {'; '.join(bad)} (ignored: the default is used)"


def read_config(path: str) -> tuple[dict[str, object], str | None]:
    """The file's keys and values, or an empty dict and what is wrong with the file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, f"cannot read it ({exc.strerror})"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}, "not valid TOML (not UTF-8)"
    values = parse_flat(text)
    if values is not None:
        return values, None
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return {}, ("not in the flat 'key = value' form freshrepl reads on Python 3.10 "
                    "(true/false, integers, strings without escapes)")
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        return {}, f"not valid TOML ({exc}{_key_on_line(text, str(exc))})"


def _key_on_line(text: str, error: str) -> str:
    """``; key 'name'`` for the line a tomllib error points at, when that line has a key."""
    import re

    where = re.search(r"at line (\d+)", error)
    if where is None:
        return ""
    lines = text.split("\n")
    number = int(where.group(1))
    key = lines[number - 1].partition("=")[0].strip() if number <= len(lines) else ""
    return f"; key {key!r}" if key and "=" in lines[number - 1] else ""


def parse_flat(text: str) -> dict[str, object] | None:
    """``key = value`` lines of booleans, decimal integers, plain strings and comments.

    Returns None for anything outside that subset (tomllib then decides), so
    what this accepts is valid TOML meaning the same thing.
    """
    if any((ord(c) < 32 and c not in "\t\n") or c == "\x7f" for c in text.replace("\r\n", "\n")):
        return None
    values: dict[str, object] = {}
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        key, equals, rest = stripped.partition("=")
        key = key.strip(" \t")
        if not equals or not _bare_key(key) or key in values:
            return None
        value = _flat_value(rest.strip(" \t"))
        if value is None:
            return None
        values[key] = value
    return values


def _bare_key(key: str) -> bool:
    return bool(key) and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)


def _flat_value(text: str) -> object | None:
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        if end < 0 or (text[0] == '"' and "\\" in text[1:end]) or not _comment_or_nothing(text[end + 1:]):
            return None
        return text[1:end]
    token, _, comment = text.partition("#")
    token = token.strip(" \t")
    if token in ("true", "false"):
        return token == "true"
    digits = token[1:] if token[:1] in "+-" else token
    if digits.isascii() and digits.isdigit() and (digits == "0" or not digits.startswith("0")):
        return int(token)
    return None


def _comment_or_nothing(text: str) -> bool:
    text = text.strip(" \t")
    return not text or text.startswith("#")


def _check(name: str, value: object, environ: Mapping[str, str]) -> str | None:
    """What is wrong with ``name = value``, or None."""
    key = KEYS.get(name)
    if key is None:
        return f"unknown key {name!r}"
    if type(value) is not key.kind:  # a TOML boolean is not an integer here
        return f"{name!r} must be {_KIND_NAMES[key.kind]}"
    if key.choices and value not in key.choices:
        return f"{name!r} must be one of {', '.join(key.choices)}"
    if name in _COUNTS and isinstance(value, int) and value < 0:
        return f"{name!r} must not be negative"
    if name == "python":
        from freshrepl.cli import UsageError, _find_python

        try:
            _find_python(str(value), environ)
        except UsageError:
            return f"'python': no executable interpreter at {value!r}"
    if name == "color_scheme" and not _is_pygments_style(str(value)):
        return f"'color_scheme': no pygments style named {value!r}"
    return None


def _resolve(name: str, value: object, environ: Mapping[str, str]) -> object:
    if name == "python":
        from freshrepl.cli import _find_python

        return _find_python(str(value), environ)
    return value


def _is_pygments_style(name: str) -> bool:
    from pygments.styles import get_style_by_name
    from pygments.util import ClassNotFound

    try:
        get_style_by_name(name)
    except ClassNotFound:
        return False
    return True
