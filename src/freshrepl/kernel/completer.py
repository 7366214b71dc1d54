"""Tab completion answered inside the kernel, from the live namespace.

Names, attributes and keywords come from ``rlcompleter`` (what python3's own
REPL offers); after ``import`` and ``from`` we offer module names instead.
"""

from __future__ import annotations

import pkgutil
import re
import rlcompleter
import sys
from typing import Any

_IMPORT = re.compile(r"^\s*(?:import\s+(?:[\w.]+\s*,\s*)*|from\s+)([\w.]*)$")
_FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+(?:[\w]+\s*,\s*)*(\w*)$")
_WORD = re.compile(r"[\w.]*$")

_top_level_modules: list[str] | None = None


def complete(text: str, namespace: dict[str, Any]) -> tuple[list[str], int]:
    """Matches for the input up to the cursor, and the (negative) offset they replace."""
    line = text.rsplit("\n", 1)[-1]
    found = _FROM_IMPORT.match(line)
    if found:
        package, prefix = found.groups()
        return _module_attributes(package, prefix), -len(prefix)
    found = _IMPORT.match(line)
    if found:
        dotted = found.group(1)
        return _module_names(dotted), -len(dotted)
    word = _WORD.search(line).group(0)
    return _namespace_matches(word, namespace), -len(word)


def _namespace_matches(word: str, namespace: dict[str, Any]) -> list[str]:
    completer = rlcompleter.Completer(namespace)
    matches: list[str] = []
    for state in range(10_000):
        match = completer.complete(word, state)
        if match is None:
            break
        if match not in matches:
            matches.append(match)
    if "." in word and not word.rsplit(".", 1)[1].startswith("_"):
        # Like python3: private attributes only once the user types the underscore.
        matches = [m for m in matches if not m.rsplit(".", 1)[1].startswith("_")]
    return sorted(matches, key=lambda m: (m.rsplit(".", 1)[-1].startswith("_"), m))


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
    return [info.name for info in pkgutil.iter_modules(path)]


def _all_top_level() -> list[str]:
    global _top_level_modules
    if _top_level_modules is None:
        names = set(sys.builtin_module_names)
        names.update(info.name for info in pkgutil.iter_modules())
        _top_level_modules = sorted(n for n in names if not n.startswith("_") or n == "__future__")
    return _top_level_modules
