"""The import hook: captures the exact source of every user module as it is imported."""

from __future__ import annotations

import ast
import hashlib
import importlib.machinery
import importlib.util
import linecache
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType
from typing import Any

from freshrepl.reload.userfiles import is_user_file


@dataclass
class Loaded:
    """What actually ran for one module: the text (or, for extensions, a hash)."""

    name: str
    path: str
    text: str | None = None  # None for compiled extensions
    digest: str = ""  # sha256 of an extension's bytes
    module: ModuleType | None = None
    deleted: bool = False
    # Names the module-level code uses (imported modules among them): a cheap filter
    # for "might this module import from that one?"; None when unknown.
    code_names: frozenset[str] | None = None
    tree_cache: dict = field(default_factory=dict)  # facts derived from ``text``
    # Functions and classes an earlier reload removed, with their statements: if
    # a later save (or the rest of a save written in parts) defines the name
    # again, the same object comes back, so old instances and references follow.
    removed_defs: dict[str, tuple[Any, ast.stmt]] = field(default_factory=dict)

    def tree(self) -> ast.Module:
        """The parse of the loaded text, cached: parsing is most of a reload's cost."""
        tree = self.tree_cache.get(self.text)
        if tree is None:
            self.tree_cache.clear()  # facts about an older text are stale too
            try:
                tree = ast.parse(self.text or "", self.path)
            except SyntaxError:
                # Only an -i script can have run (or rather not run) from such a
                # text: none of it executed, so it counts as an empty module.
                tree = ast.Module(body=[], type_ignores=[])
            self.tree_cache[self.text] = tree
        return tree


def norm_path(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def decode(data: bytes) -> str:
    """Decode source bytes exactly as the interpreter does (coding cookie, BOM)."""
    return importlib.util.decode_source(data)


def remember_lines(path: str, text: str) -> None:
    """Make tracebacks show ``text`` for ``path``; mtime None keeps checkcache away."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    linecache.cache[path] = (len(text), None, lines, path)


class SourceStore:
    """Every user module's loaded source, filled by the loaders below."""

    def __init__(self) -> None:
        self.by_name: dict[str, Loaded] = {}
        self.by_path: dict[str, set[str]] = {}  # normalized path: module names
        self.fresh: list[str] = []  # names loaded since the kernel last asked
        self.by_code_name: dict[str, set[str]] = {}  # name used at module level: modules
        self.unknown_names: set[str] = set()  # modules whose used names are not known

    def _keep(self, entry: Loaded) -> None:
        self.forget(entry.name)
        self.by_name[entry.name] = entry
        self.by_path.setdefault(norm_path(entry.path), set()).add(entry.name)
        self.unknown_names.add(entry.name)

    def forget(self, name: str) -> None:
        entry = self.by_name.pop(name, None)
        if entry is not None:
            self.by_path.get(norm_path(entry.path), set()).discard(name)
            self.set_code_names(entry, None)
            self.unknown_names.discard(name)

    def set_code_names(self, entry: Loaded, names: frozenset[str] | None) -> None:
        """Index which modules use which names, so importers are found in O(importers)."""
        for used in entry.code_names or ():
            self.by_code_name.get(used, set()).discard(entry.name)
        entry.code_names = names
        for used in names or ():
            self.by_code_name.setdefault(used, set()).add(entry.name)
        if names is not None:
            self.unknown_names.discard(entry.name)

    def maybe_importers(self, name: str) -> set[str]:
        """Modules whose module-level code may do ``from name import ...``."""
        last = name.rpartition(".")[2]
        found = self.by_code_name.get(name, set()) | self.by_code_name.get(last, set())
        return found | self.unknown_names

    def names_for(self, path: str) -> set[str]:
        return self.by_path.get(norm_path(path), set())

    def record_source(self, name: str, path: str, data: bytes) -> str:
        text = decode(data)
        self._keep(Loaded(name, path, text=text))
        remember_lines(path, text)
        return text

    def record_extension(self, name: str, path: str) -> None:
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        self._keep(Loaded(name, path, digest=digest))

    def loaded(self, name: str, module: ModuleType) -> None:
        entry = self.by_name.get(name)
        if entry is not None:
            entry.module = module
            self.fresh.append(name)


class CapturingSourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles a user module from the bytes it keeps, never from a .pyc."""

    store: SourceStore  # set on the subclass made per Reloader

    def get_code(self, fullname: str) -> CodeType:
        data = self.get_data(self.path)
        self.store.record_source(fullname, self.path, data)
        code = self.source_to_code(data, self.path)
        self.store.set_code_names(self.store.by_name[fullname], frozenset(code.co_names))
        return code

    def exec_module(self, module: ModuleType) -> None:
        # Registered only once it ran: a module that raised while importing is not loaded.
        super().exec_module(module)
        self.store.loaded(module.__name__, module)


class CapturingExtensionLoader(importlib.machinery.ExtensionFileLoader):
    """Keeps a hash of a user extension module's bytes as it is loaded."""

    store: SourceStore

    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        self.store.record_extension(module.__name__, self.path)
        self.store.loaded(module.__name__, module)


class UserModuleFinder:
    """A meta path finder that asks the others, then swaps in a capturing loader."""

    def __init__(self, store: SourceStore) -> None:
        is_user_file(__file__)  # compute the foreign roots now, never inside an import
        self.store = store
        attrs = {"store": store}
        self.source_loader = type("FreshSourceLoader", (CapturingSourceLoader,), attrs)
        self.ext_loader = type("FreshExtensionLoader", (CapturingExtensionLoader,), attrs)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        spec = self._spec_from_others(fullname, path, target)
        if spec is None or not is_user_file(spec.origin):
            return spec
        loader = spec.loader
        if type(loader) is importlib.machinery.SourceFileLoader:
            spec.loader = self.source_loader(fullname, spec.origin)
        elif type(loader) is importlib.machinery.ExtensionFileLoader:
            spec.loader = self.ext_loader(fullname, spec.origin)
        return spec

    def _spec_from_others(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> ModuleSpec | None:
        for finder in list(sys.meta_path):
            if isinstance(finder, UserModuleFinder) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None

    def invalidate_caches(self) -> None:
        pass
