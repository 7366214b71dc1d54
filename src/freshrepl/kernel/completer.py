"""Tab completion answered inside the kernel, from the live namespace.

Names and keywords come from ``rlcompleter`` (what python3's own REPL
offers); attributes are listed with ``dir`` and looked at statically (no
property getter or ``__getattr__`` runs, unlike rlcompleter); after
``import`` and ``from`` we offer module names.  Inside ``d[`` we offer the
keys of a live dictionary, and inside any other string literal the paths of
files.  Nothing here calls the user's code.
"""

from __future__ import annotations

import importlib.machinery
import os
import re
import rlcompleter
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from freshrepl.kernel.introspect import Scan, is_a, resolve, scan, static_attribute
from freshrepl.source_text import dotted_name_before, help_context

# Matched from the line's start only (never searched for): linear in the line.
_IMPORT = re.compile(r"\s*(?:import\s+(?:[\w.]+\s*,\s*)*|from\s+)([\w.]*)\Z")
_FROM_IMPORT = re.compile(r"\s*from\s+([\w.]+)\s+import\s+(?:\w+\s*,\s*)*(\w*)\Z")

MAX_MATCHES = 1000
_SUFFIXES = tuple(importlib.machinery.all_suffixes())  # .py, .pyc, extension suffixes

_top_level_modules: list[str] | None = None

# Asked every LOOK_UP_EVERY entries of a long listing (a directory, a dir()):
# has another request come?  Then the completion is abandoned.
LOOK_UP_EVERY = 256
_T = TypeVar("_T")


class Abandoned(Exception):
    """Another request arrived while completing: the answer would be stale, and it must not wait."""


def _never() -> bool:
    return False


_should_stop: Callable[[], bool] = _never


def complete(text: str, namespace: dict[str, Any],
             should_stop: Callable[[], bool] = _never) -> tuple[list[str], int]:
    """Matches for the input up to the cursor, and the (negative) offset they replace.

    Only ``help_context(text)`` is read, each part of it a bounded number of
    times: what was typed or pasted cannot make this slow.  Long listings (a
    large directory, a long ``dir()``) ask ``should_stop`` as they go and
    raise ``Abandoned`` when it says so.
    """
    global _should_stop
    _should_stop = should_stop
    try:
        return _complete(text, namespace)
    finally:
        _should_stop = _never


def _watched(items: Iterable[_T]) -> Iterator[_T]:
    """``items``, asking ``_should_stop`` every ``LOOK_UP_EVERY`` of them."""
    for count, item in enumerate(items, 1):
        if count % LOOK_UP_EVERY == 0 and _should_stop():
            raise Abandoned
        yield item


def _complete(text: str, namespace: dict[str, Any]) -> tuple[list[str], int]:
    context = help_context(text)
    if context is None:
        return [], 0
    text = context
    line = text.rsplit("\n", 1)[-1]
    found = _FROM_IMPORT.match(line)
    if found:
        package, prefix = found.groups()
        return _module_attributes(package, prefix), -len(prefix)
    found = _IMPORT.match(line)
    if found:
        dotted = found.group(1)
        return _module_names(dotted), -len(dotted)
    opened = scan(text)
    if opened.in_comment:
        return [], 0
    if opened.string_start is not None:
        return _in_string(text, opened, namespace)
    digits_start = len(text)
    while digits_start > 0 and text[digits_start - 1] in "0123456789":
        digits_start -= 1
    subscripted = _subscripted(text, digits_start)
    if subscripted:
        digits = text[digits_start:]
        keys = _literal_keys(subscripted, digits, namespace)
        if keys is not None:
            return keys, -len(digits)
    word = line[dotted_name_before(line, len(line)):]
    return _namespace_matches(word, namespace), -len(word)


def _subscripted(text: str, end: int) -> str | None:
    """``d`` when ``text[:end]`` ends with ``d[`` (blanks allowed around the bracket), else None."""
    end = len(text[:end].rstrip())
    if not end or text[end - 1] != "[":
        return None
    end = len(text[:end - 1].rstrip())
    name = text[dotted_name_before(text, end):end]
    if not name or name[0] == "." or name[0].isdigit():
        return None
    return name


# -- names and attributes -------------------------------------------------------------


def _namespace_matches(word: str, namespace: dict[str, Any]) -> list[str]:
    if not word:
        return []
    if "." in word:
        matches = _attribute_matches(word, namespace)
    else:
        matches = _global_matches(word, namespace)
    return sorted(matches, key=lambda m: (m.rsplit(".", 1)[-1].startswith("_"), m))


def _global_matches(word: str, namespace: dict[str, Any]) -> list[str]:
    completer = rlcompleter.Completer(namespace)
    matches: list[str] = []
    for state in range(10_000):
        match = completer.complete(word, state)
        if match is None:
            break
        if match not in matches:
            matches.append(match)
    return matches


def _attribute_matches(word: str, namespace: dict[str, Any]) -> list[str]:
    expr, _, prefix = word.rpartition(".")
    try:
        obj = resolve(expr, namespace)
        names = dir(obj)
    except Exception:  # LookupError, or a __dir__ of the user's that fails
        return []
    matches = []
    for name in _watched(names):
        if not isinstance(name, str) or not name.startswith(prefix) or _hidden(name, prefix):
            continue
        matches.append(f"{expr}.{name}" + ("(" if _is_callable_attribute(obj, name) else ""))
    return matches


def _hidden(name: str, prefix: str) -> bool:
    """Like python3: private names once an underscore is typed, dunders after two."""
    if prefix.startswith("__"):
        return False
    if prefix.startswith("_"):
        return name.startswith("__")
    return name.startswith("_")


def _is_callable_attribute(obj: Any, name: str) -> bool:
    """Would ``obj.name`` be callable?  Decided without evaluating it."""
    try:
        value = static_attribute(obj, name, descriptor=True)
    except LookupError:
        return False  # made by __getattr__: unknown without running it
    return is_a(value, (staticmethod, classmethod)) or callable(value)


# -- dictionary keys ----------------------------------------------------------------


def _mapping_keys(expr: str, namespace: dict[str, Any]) -> list[Any] | None:
    """The keys of the live dictionary ``expr`` names; None if it is not one.

    Only mappings whose key listing runs no user code: dicts (and their
    subclasses, read with ``dict.keys``), mappingproxy and ``os.environ``.
    """
    try:
        obj = resolve(expr, namespace)
    except LookupError:
        return None
    if is_a(obj, dict):
        return list(dict.keys(obj))
    if type(obj) is types.MappingProxyType or type(obj) is type(os.environ):
        return list(obj)
    return None


def _literal_keys(expr: str, digits: str, namespace: dict[str, Any]) -> list[str] | None:
    """``d[`` -> the keys written as literals (``'name'``, ``42``), each closed with ``]``."""
    keys = _mapping_keys(expr, namespace)
    if keys is None:
        return None
    if digits:
        found = [str(k) for k in keys if type(k) is int and str(k).startswith(digits)]
    else:
        found = [repr(k) for k in keys if type(k) in (str, bytes, int)]
    return [k + "]" for k in sorted(found)[:MAX_MATCHES]]


def _string_keys(expr: str, opened: Scan, typed: str,
                 namespace: dict[str, Any]) -> list[str] | None:
    """``d["na`` -> the rest of the matching keys, with the closing quote and bracket."""
    keys = _mapping_keys(expr, namespace)
    if keys is None:
        return None
    want_bytes = "b" in opened.prefix.lower()
    raw = "r" in opened.prefix.lower()
    found = []
    for key in keys:
        text = _key_text(key, want_bytes)
        if text is None:
            continue
        body = _literal_body(text, opened.quote, raw)
        if body is not None and body.startswith(typed):
            found.append(body + opened.quote + "]")
    return sorted(found)[:MAX_MATCHES]


def _key_text(key: Any, want_bytes: bool) -> str | None:
    """The key as text if it is of the kind the literal makes (str, or ASCII bytes)."""
    if want_bytes:
        if type(key) is not bytes:
            return None
        try:
            return key.decode("ascii")
        except UnicodeDecodeError:
            return None  # written with \x escapes: rare enough to leave out
    return key if type(key) is str else None


def _literal_body(text: str, quote: str, raw: bool) -> str | None:
    """``text`` as it is written between ``quote``s; None if a raw string cannot hold it."""
    if raw:
        ok = quote not in text and not text.endswith("\\") and "\n" not in text
        return text if ok and text.isprintable() else None
    out = []
    for char in text:
        if char == "\\" or char == quote[0]:
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    return "".join(out)


# -- inside a string: keys or paths -------------------------------------------------


def _in_string(text: str, opened: Scan, namespace: dict[str, Any]) -> tuple[list[str], int]:
    assert opened.string_start is not None
    typed = text[opened.string_start + len(opened.quote):]
    before = text[:opened.string_start - len(opened.prefix)]
    subscripted = _subscripted(before, len(before))
    if subscripted and "f" not in opened.prefix.lower():
        keys = _string_keys(subscripted, opened, typed, namespace)
        if keys is not None:
            return keys, -len(typed)
    if "\n" in typed or "b" in opened.prefix.lower():
        return [], 0
    return _path_matches(typed, opened)


def _path_matches(typed: str, opened: Scan) -> tuple[list[str], int]:
    """Files and directories whose path starts with the string typed so far."""
    directory, slash, start = typed.rpartition("/")
    directory += slash
    try:
        entries = list(os.scandir(os.path.expanduser(directory) or "."))
    except OSError:
        return [], 0
    raw = "r" in opened.prefix.lower()
    matches = []
    for entry in _watched(entries):
        if not entry.name.startswith(start) or (entry.name.startswith(".") and not start):
            continue
        body = _literal_body(entry.name, opened.quote, raw)
        if body is None:
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        matches.append(body + ("/" if is_dir else ""))
    return sorted(matches)[:MAX_MATCHES], -len(start)


# -- modules ------------------------------------------------------------------------


def _module_names(dotted: str) -> list[str]:
    if "." not in dotted:
        return [name for name in _all_top_level() if name.startswith(dotted)]
    package, prefix = dotted.rsplit(".", 1)
    return [f"{package}.{name}" for name in _submodules(package) if name.startswith(prefix)]


def _module_attributes(module_name: str, prefix: str) -> list[str]:
    names = set(_submodules(module_name))
    module = sys.modules.get(module_name)
    if module is not None:
        names.update(n for n in vars(module) if not n.startswith("_"))
    return sorted(n for n in names if n.startswith(prefix))


def _submodules(package: str) -> list[str]:
    module = sys.modules.get(package)
    path = getattr(module, "__path__", None)
    if path is None:
        return []
    return sorted(_modules_in(path))


def _all_top_level() -> list[str]:
    global _top_level_modules
    if _top_level_modules is None:
        names = set(sys.builtin_module_names) | _modules_in(sys.path)
        _top_level_modules = sorted(n for n in names if not n.startswith("_") or n == "__future__")
    return _top_level_modules


def _modules_in(directories: Iterable[str]) -> set[str]:
    """The modules and packages ``import`` finds in ``directories``, as ``pkgutil.iter_modules``.

    Listed from one ``scandir`` a directory (pkgutil looks at each entry
    again): the first ``import`` completion in a project of 2,000 modules
    takes 6 ms, not 40, and an input typed meanwhile does not wait for it.
    Names that cannot follow ``import`` are left out.
    """
    names: set[str] = set()
    for directory in directories:
        if os.path.isfile(directory):  # a zip archive: pkgutil knows those
            import pkgutil

            names.update(info.name for info in pkgutil.iter_modules([directory]))
            continue
        try:
            entries = list(os.scandir(directory or "."))
        except OSError:
            continue
        for entry in _watched(entries):
            name = _module_name(entry)
            if name is not None and name.isidentifier() and name != "__init__":
                names.add(name)
    return names


def _module_name(entry: os.DirEntry[str]) -> str | None:
    """The module a directory entry is: a source or extension file, or a package."""
    for suffix in _SUFFIXES:
        if entry.name.endswith(suffix):
            return entry.name[: -len(suffix)]
    try:
        if entry.is_dir() and any(
            os.path.isfile(os.path.join(entry.path, "__init__" + suffix)) for suffix in _SUFFIXES
        ):
            return entry.name
    except OSError:
        pass
    return None
