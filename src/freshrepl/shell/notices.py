"""What the shell tells the user about reloads: one-line notices and module states.

Notice wording is part of the contract (docs/contract.md): a success contains
``reloaded NAME``, a failure ``not reloaded NAME``, an unsafe change
``cannot reload NAME`` and the reason.
"""

from __future__ import annotations

import os

from freshrepl.dataclass_lite import dataclass_lite
from freshrepl.protocol import (
    DELETED,
    FAILED,
    RELOADED,
    UNCHANGED,
    UNSAFE,
    ModuleDelta,
    ReloadResult,
    StaleReply,
)

# States shown by :watch.
FRESH = "fresh"
CHANGED = "changed"
STALE = "stale"

_GLYPHS = {RELOADED: "↻", FAILED: "✗", UNSAFE: "⚠", DELETED: "✗"}
_COLORS = {RELOADED: "32", FAILED: "31", UNSAFE: "33", DELETED: "33"}


def notice(result: ReloadResult, color: bool, width: int = 0) -> str:
    """The one line that reports ``result``, wrapped at ``width`` columns (0: not)."""
    name = result.module
    if result.status == RELOADED:
        text = f"reloaded {name}" + (f" ({result.detail})" if result.detail else "")
        text += stale_segment(result.stale, result.stale_exact)
    elif result.status == FAILED:
        where = f"{result.location}: " if result.location else ""
        kept = f"  (kept the old {name})" if result.path else ""
        text = f"not reloaded {name}: {where}{result.error}{kept}"
    elif result.status == UNSAFE:
        text = f"cannot reload {name}: {result.detail}"
    elif result.status == DELETED:
        text = f"{os.path.basename(result.path)} was deleted (module {name} keeps its loaded code)"
    else:
        text = f"{name}: {result.status}"
    from freshrepl.shell.wrap import wrap

    lines = wrap(f"{_GLYPHS.get(result.status, '·')} {text}", width)
    if color:  # each line coloured: a pager or log viewer may reset at a newline
        sgr = _COLORS.get(result.status, "0")
        return "\n".join(f"\x1b[{sgr}m{line}\x1b[0m" for line in lines.split("\n"))
    return lines


def stale_segment(names: list[str], exact: bool) -> str:
    """`` · stale: summary, report — :rerun`` (read statically: ``may be stale``); or nothing."""
    if not names:
        return ""
    shown = ", ".join(names[:_STALE_SHOWN])
    more = f" and {len(names) - _STALE_SHOWN} more" if len(names) > _STALE_SHOWN else ""
    return f" · {'stale' if exact else 'may be stale'}: {shown}{more} — :rerun"


_STALE_SHOWN = 6  # names a notice shows; :stale lists them all


def stale_table(reply: StaleReply) -> str:
    """``:stale``: each stale name, the input that made it and the changed code it ran."""
    if not reply.tracking:
        return f"stale values are not tracked: {reply.why_off}"
    if not reply.values:
        return "nothing is stale"
    width = max(len(v.name) for v in reply.values)
    head = "stale values" if reply.exact else "values that may be stale (read statically)"
    rows = [f"{head} (:rerun runs their inputs again):"]
    for value in reply.values:
        rows.append(f"  {value.name:<{width}}  input {value.number}: {value.first_line}"
                    f"  ({', '.join(value.because)} changed)")
    return "\n".join(rows)


def stale_notice(results: list[ReloadResult]) -> str:
    """What declining a restart (``n``, ``--on-unsafe keep``) leaves behind, and how to apply it later."""
    names = [result.module for result in results]
    if len(results) == 1:
        file = os.path.basename(results[0].path) or "its file"
        return (f"  kept the old code: {names[0]} is now stale (:restart applies the edit, "
                f"or fix {file} and :reload {names[0]})")
    return (f"  kept the old code: {', '.join(names)} are now stale (:restart applies the edits, "
            f"or fix their files and :reload {' '.join(names)})")


@dataclass_lite
class ModuleState:
    """One watched module as ``:watch`` shows it."""

    name: str
    path: str
    state: str = FRESH
    why: str = ""


class ModuleStates:
    """The shell's view of every watched module and its state."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleState] = {}

    def apply_delta(self, delta: ModuleDelta) -> tuple[list[str], list[str]]:
        """Record added/removed modules; return (files to watch, files to drop)."""
        added, dropped = [], []
        for name, path in delta.added.items():
            self.modules[name] = ModuleState(name, path)
            added.append(path)
        for name in delta.removed:
            gone = self.modules.pop(name, None)
            if gone is not None and not any(m.path == gone.path for m in self.modules.values()):
                dropped.append(gone.path)
        return added, dropped

    def apply_result(self, result: ReloadResult) -> None:
        module = self.modules.get(result.module)
        if module is None:
            module = self.modules[result.module] = ModuleState(result.module, result.path)
        if result.status in (RELOADED, UNCHANGED):
            module.state, module.why = FRESH, result.detail
        elif result.status == FAILED:
            module.state, module.why = FAILED, f"{result.location}: {result.error}"
        elif result.status == UNSAFE:
            module.state, module.why = STALE, result.detail
        elif result.status == DELETED:
            module.state, module.why = DELETED, "source file deleted; loaded code in use"

    def mark_matching(self, compared: set[str] | None, results: list[ReloadResult]) -> None:
        """The kernel compared the files ``compared`` (None: all) and reported only ``results``:
        every other module there runs what its file holds, so it is fresh (a file put
        back as it was loaded is no longer stale)."""
        if any(not result.path for result in results):
            return  # an error about the request itself: the comparison may not have run
        reported = {result.module for result in results}
        for module in self.modules.values():
            if module.name in reported or module.state == FRESH:
                continue
            if compared is None or module.path in compared:
                module.state, module.why = FRESH, ""

    def mark_changed(self, paths: set[str]) -> None:
        """Files saved while reloading is off: their modules are ``changed``."""
        for module in self.modules.values():
            if module.path in paths and module.state != STALE:
                module.state, module.why = CHANGED, "saved; :reload to apply"

    def render(self) -> str:
        if not self.modules:
            return "no user modules imported yet"
        width = max(len(m.name) for m in self.modules.values())
        rows = []
        for module in sorted(self.modules.values(), key=lambda m: m.name):
            why = f"  {module.why}" if module.why and module.state != FRESH else ""
            rows.append(f"{module.name:<{width}}  {module.state:<7}  {_short_path(module.path)}{why}")
        return "\n".join(rows)


def _short_path(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return relative if not relative.startswith("..") else path
