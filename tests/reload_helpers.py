"""Test helpers for the reload engine: a scratch source tree wired to a fresh Reloader."""

from __future__ import annotations

import importlib
import linecache
import sys
import textwrap
import types
from pathlib import Path

from freshrepl.reload import Reloader, ReloadResult


class Workspace:
    """User modules written under ``root``, imported through an installed Reloader."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.main = types.ModuleType("__main__")
        self.main.__dict__["__builtins__"] = __builtins__
        self.reloader = Reloader(self.main)
        self._modules_before = set(sys.modules)
        self._path_before = list(sys.path)
        self._meta_before = list(sys.meta_path)
        sys.path.insert(0, str(root))
        self.reloader.install()

    def write(self, relpath: str, text: str, *, encoding: str = "utf-8") -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(textwrap.dedent(text).encode(encoding))
        importlib.invalidate_caches()
        return path

    def write_bytes(self, relpath: str, data: bytes) -> Path:
        path = self.root / relpath
        path.write_bytes(data)
        return path

    def load(self, name: str) -> types.ModuleType:
        return importlib.import_module(name)

    def run_main(self, source: str) -> None:
        """Run an input in the fake ``__main__`` as the kernel would."""
        source = textwrap.dedent(source)
        self.reloader.note_main_input(source)
        exec(compile(source, "<stdin>", "exec"), self.main.__dict__)

    def reload(
        self, paths: list[str] | None = None, names: tuple[str, ...] = ()
    ) -> list[ReloadResult]:
        return self.reloader.reload(paths, list(names))

    def reload_one(self, module: str, names: tuple[str, ...] = ()) -> ReloadResult:
        results = [r for r in self.reload(None, names) if r.module == module]
        assert len(results) == 1, results
        return results[0]

    def close(self) -> None:
        self.reloader.uninstall()
        for name in set(sys.modules) - self._modules_before:
            if not name.startswith("freshrepl."):  # ours (loaded on first use) stay loaded
                del sys.modules[name]
        sys.path[:] = self._path_before
        sys.meta_path[:] = self._meta_before
        for key in [k for k in linecache.cache if str(self.root) in k]:
            del linecache.cache[key]
