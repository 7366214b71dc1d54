"""The live-reload policy: which files to ask the kernel to compare, and when.

It decides and returns results; it writes nothing to the terminal (the loop
prints the notices and asks the questions).  It owns the modules' states (``:watch``), the
watcher (started when the first user module is imported) and the set of files
still to compare.
"""

from __future__ import annotations

from freshrepl import protocol
from freshrepl.shell.notices import ModuleStates

TYPE_CHECKING = False  # typing loads after the first input is read (loop.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from freshrepl.watch.watcher import Watcher

    class Reloads(Protocol):
        """What the policy needs of the kernel (``KernelClient`` has it)."""

        def reload(self, paths: list[str] | None, names: list[str],
                   imported: bool = False) -> protocol.ReloadReply: ...


class LiveReload:
    """Tracks the user's modules and brings them up to date through the kernel."""

    def __init__(self, watch: bool, on_change: Callable[[], None]) -> None:
        self.watch = watch  # False with --no-watch: only :reload applies changes
        self.auto = True  # :auto on|off
        self.states = ModuleStates()
        self.watcher: Watcher | None = None
        self._on_change = on_change
        # Files to compare at the next check besides the watcher's: saves seen while
        # reloading was off.
        self._to_check: set[str] = set()
        # Modules were imported since the last check: the kernel compares them once
        # (an edit made between their import and the watcher's first look is caught).
        self._imported = False

    def track(self, delta: protocol.ModuleDelta) -> None:
        """Follow the modules the kernel imported or dropped."""
        added, dropped = self.states.apply_delta(delta)
        if not self.watch:
            return
        self._imported = self._imported or bool(added)
        self._to_check.difference_update(dropped)
        if added and self.watcher is None:
            from freshrepl.watch.watcher import Watcher

            self.watcher = Watcher(on_change=self._on_change)
        if self.watcher is not None:
            if added:
                self.watcher.watch(added)
            if dropped:
                self.watcher.unwatch(dropped)

    def forget_modules(self) -> None:
        """A new kernel: it reports its modules afresh."""
        self.states.modules.clear()
        self._imported = False

    def has_pending(self) -> bool:
        return self.watcher is not None and self.auto and self.watcher.has_pending()

    def take_watch_warning(self) -> str | None:
        """The watcher's one-time warning (its fall-back to polling), if any."""
        if self.watcher is None or not self.watcher.fallback_warning:
            return None
        warning, self.watcher.fallback_warning = self.watcher.fallback_warning, None
        return warning

    def check(self, kernel: Reloads, sync: bool) -> list[protocol.ReloadResult]:
        """Apply what changed (``sync``: also what was saved a moment ago)."""
        if self.watcher is None:
            return []
        saved = self._collect_saves(sync)
        if not self.auto:
            self.states.mark_changed(saved)
            return []
        paths, self._to_check = self._to_check, set()
        if not paths and not self._imported:
            return []
        return self._reload(kernel, sorted(paths), [])

    def reload_now(self, kernel: Reloads, names: list[str]) -> list[protocol.ReloadResult]:
        """``:reload [NAME…]``: without names, compare every module (the watcher may be off)."""
        self._collect_saves(sync=True)
        paths = sorted(self._to_check) if names else None
        self._to_check = set()
        return self._reload(kernel, paths, names)

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()

    def _collect_saves(self, sync: bool) -> set[str]:
        """The files saved since last asked; they join what the next check compares."""
        if self.watcher is None:
            return set()
        if sync:
            self.watcher.sync()
        saved = self.watcher.take_pending()
        self._to_check |= saved
        return saved

    def _reload(self, kernel: Reloads, paths: list[str] | None,
                names: list[str]) -> list[protocol.ReloadResult]:
        imported, self._imported = self._imported, False
        reply = kernel.reload(paths, names, imported)
        for result in reply.results:
            if result.path:
                self.states.apply_result(result)
        self.states.mark_matching(None if paths is None else set(paths), reply.results)
        self.track(reply.modules)
        return reply.results
