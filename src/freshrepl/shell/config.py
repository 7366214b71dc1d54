"""The config file: where it lives, how it is read, and how it and the environment reach the Options.

The keys it may hold, their types and what each means are the table of
``freshrepl/settings.py``; settings with an environment variable take it
from there too, over the file.

``$XDG_CONFIG_HOME/freshrepl/config.toml`` (default ``~/.config/freshrepl/config.toml``)
holds flat ``key = value`` lines.  Precedence, lowest first: the defaults, the
file, the environment (a setting's variable; ``NO_COLOR``, ``TERM=dumb``), the
command line.  A file that cannot be read or is not valid TOML, an unknown
key, or a value of the wrong type gives one warning naming the file and the
key(s); what is wrong keeps its default and the session goes on.  A bad
variable gives a warning of its own and keeps the file's value.

Start-up matters and most files are a few flat lines, so those are read by a
small parser of that subset (booleans, decimal integers, strings without
escapes, comments).  Anything else goes to ``tomllib`` (Python 3.11+), which
gives the verdict; on 3.10, which has no ``tomllib``, such a file is reported
as outside the form freshrepl reads there, and the defaults are used.
"""

from __future__ import annotations

import os

from freshrepl.settings import SETTINGS, SettingError

TYPE_CHECKING = False  # typing costs start-up time; the annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Mapping

    from freshrepl.shell.options import Options


def config_path(environ: Mapping[str, str]) -> str:
    """``$XDG_CONFIG_HOME/freshrepl/config.toml``, else under ``~/.config``."""
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".config"
    )
    return os.path.join(base, "freshrepl", "config.toml")


def keys_help() -> str:
    """The keys for ``--help``: how each value looks, its default, what it does."""
    import textwrap

    lines = []
    for setting in SETTINGS.values():
        notes = [f"default {_as_toml(setting.default)}"] if setting.default is not None else []
        notes += [f"as {setting.option_name}"] if setting.option else []
        notes += [f"${setting.env}" + (f" in {setting.env_unit}" if setting.env_unit else "")
                  ] if setting.env else []
        lines.append(f"  {setting.name} = {setting.metavar}" + (f"  ({'; '.join(notes)})" if notes else ""))
        lines.extend(textwrap.wrap(setting.help, 79, initial_indent=" " * 8, subsequent_indent=" " * 8,
                                   break_on_hyphens=False))
    return "\n".join(lines)


def _as_toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def apply_config(options: Options, environ: Mapping[str, str]) -> None:
    """Set ``options`` from the config file, then from the settings' environment variables.

    Neither overrides what the command line (or ``NO_COLOR``) set.
    """
    path = config_path(environ)
    values, problem = read_config(path)
    bad: list[str] = []
    for name, value in values.items():
        setting = SETTINGS.get(name)
        if setting is None:
            bad.append(f"unknown key {name!r}")
            continue
        try:
            used = setting.check(value, environ)
        except SettingError as exc:
            bad.append(exc.about(repr(name)))
            continue
        if name not in options.given:
            setattr(options, name, used)
    if problem:
        options.config_warning = f"{path}: {problem}; using the defaults"
    elif bad:
        options.config_warning = f"{path}: {'; '.join(bad)} (ignored: the default is used)"
    _apply_environment(options, environ)


def _apply_environment(options: Options, environ: Mapping[str, str]) -> None:
    for setting in SETTINGS.values():
        text = environ.get(setting.env) if setting.env else None
        if text is None or setting.name in options.given:
            continue
        try:
            setattr(options, setting.name, setting.from_env(text))
        except SettingError as exc:
            kept = setting.in_env_unit(getattr(options, setting.name))
            options.environment_warnings.append(f"{setting.env} {exc} (got {text!r}); using {kept}")


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
        line = _first_unflat_line(text)
        return {}, (f"line {line}{_key_on_line(text, f'at line {line}')} is not in the flat "
                    "'key = value' form freshrepl reads on Python 3.10 "
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
        pair = _flat_pair(stripped)
        if pair is None or pair[0] in values:
            return None
        values[pair[0]] = pair[1]
    return values


def _flat_pair(stripped: str) -> tuple[str, object] | None:
    """A ``key = value`` line's key and value, or None outside the flat subset."""
    key, equals, rest = stripped.partition("=")
    key = key.strip(" \t")
    if not equals or not _bare_key(key):
        return None
    value = _flat_value(rest.strip(" \t"))
    return None if value is None else (key, value)


def _first_unflat_line(text: str) -> int:
    """The number of the first line ``parse_flat`` does not read (a key seen twice too)."""
    seen: set[str] = set()
    lines = text.replace("\r\n", "\n").split("\n")
    for number, line in enumerate(lines, 1):
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        pair = _flat_pair(stripped)
        if pair is None or pair[0] in seen or any(
                (ord(c) < 32 and c != "\t") or c == "\x7f" for c in line):
            return number
        seen.add(pair[0])
    return 1


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
