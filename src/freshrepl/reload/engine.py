"""The Reloader: tracks the user's modules and brings changed ones up to date in place."""

from __future__ import annotations

import ast
import gc
import re
import sys
import types
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager as ContextManager
from contextlib import nullcontext

from freshrepl.protocol import (
    FAILED,
    RELOADED,
    UNSAFE,
    ModuleDelta,
    ReloadResult,
)
from freshrepl.reload.analysis import decorator_paths, resolve
from freshrepl.reload.hook import Loaded, SourceStore, UserModuleFinder, remember_lines
from freshrepl.reload.objects import module_global
from freshrepl.reload.rebind import Rebinder
from freshrepl.reload.tracking import MAIN, ModuleTracker

# The machinery of a reload (apply, plan, rules, ...) is imported by the first
# reload (or once the kernel is idle), not at start-up: the kernel needs only
# the hook before the first input.  See load_machinery().
TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    from typing import Any

    from freshrepl.reload.apply import Changes


class Reloader:
    """Owns the import hook, the kept sources and the reloading of changed modules."""

    def __init__(
        self, main_module: types.ModuleType, shield: Callable[[], ContextManager[None]] = nullcontext
    ) -> None:
        """``shield``: what the machinery's first import runs inside (the kernel takes the
        user's directory off ``sys.path``, so a project's ``enum.py`` cannot stand in)."""
        self.main = main_module
        self.shield = shield
        self.store = SourceStore()
        self.finder = UserModuleFinder(self.store)
        self.tracker = ModuleTracker(self.store)
        self.rebinder = Rebinder(self.store, main_module)
        self.prompt = _PromptState(main_module, self.store)
        # store.kept when a delta last told the shell, and when a request last compared
        # what had been imported (see ``reload``'s ``imported``).
        self._reported_mark = self._compared_mark = 0
        self.compared = 0  # how many modules the last reload compared with their files

    # -- setup ---------------------------------------------------------------------
    def install(self) -> None:
        """Put the capturing finder first on ``sys.meta_path``; adopt user modules already in."""
        if self.finder not in sys.meta_path:
            sys.meta_path.insert(0, self.finder)
        for name, module in list(sys.modules.items()):
            path = module_global(module, "__file__")
            if name not in self.store.by_name and path and path.endswith(".py"):
                if self.finder.is_user(path) and name != MAIN:
                    _adopt(self.store, name, module, path)

    def uninstall(self) -> None:
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)

    def track_main(self, path: str) -> None:
        """Keep the ``-i`` script's text: the kernel runs exactly ``main_source(path)``."""
        with open(path, "rb") as handle:
            data = handle.read()
        self.store.record_source(MAIN, path, data)
        self.store.loaded(MAIN, self.main)

    def main_source(self, path: str) -> str:
        entry = self.store.by_name.get(MAIN)
        if entry is None or entry.path != path or entry.text is None:
            self.track_main(path)
            entry = self.store.by_name[MAIN]
        return entry.text or ""

    def note_main_input(self, source: str) -> None:
        """Remember ``from m import x [as y]``, ``from m import *`` and the decorators used,
        typed at the prompt."""
        self.rebinder.note_main_input(source)
        self.prompt.note_decorators(source)

    # -- module delta ----------------------------------------------------------------
    def take_module_delta(self) -> ModuleDelta:
        """User modules imported or gone since the last call; costs O(new modules)."""
        delta = self.tracker.take()
        self._reported_mark = self.store.kept
        if MAIN in delta.added:
            with self.shield():
                load_machinery()
            self.prompt.script_ran(self.store.by_name[MAIN])
        return delta

    def report_all_modules(self) -> None:
        """The next module delta names every user module loaded (a new shell-side handle
        knows none of them)."""
        self.tracker.report_all()

    # -- reloading -------------------------------------------------------------------
    def reload(self, paths: list[str] | None, names: Iterable[str] = (),
               imported: bool = False) -> list[ReloadResult]:
        """Bring changed modules up to date, dependencies first; never raises.

        ``paths``: the files to compare (None: every module); ``names``: modules
        to reload even if unchanged; ``imported``: also compare the modules
        imported since the last call that asked, up to the last delta (the
        shell watches them now: an edit before its first look is caught here).
        """
        results: list[ReloadResult] = []
        with self.shield():
            load_machinery()
        # A collection over a big heap would cost more than the whole reload;
        # our garbage is collected later, after the input.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            entries = self._entries_for(paths, imported)
            self.compared = len(entries)
            pending = self._pending(entries, list(names), results)
            self._reload_all(pending, results)
        except Exception as exc:  # the kernel must survive our own bugs
            results.append(ReloadResult("?", "", FAILED, error=f"internal error: {type(exc).__name__}"))
        finally:
            if was_enabled:
                gc.enable()
        return results

    def _entries_for(self, paths: list[str] | None, imported: bool = False) -> list[Loaded]:
        if paths is None:
            entries = list(self.store.by_name.values())
            self._compared_mark = self._reported_mark
        else:
            names = self.store.names_for(paths)
            if imported:
                # Those kept after the last delta are compared again, once watched.
                names.update(e.name for e in self.store.kept_since(self._compared_mark))
                self._compared_mark = self._reported_mark
            entries = [self.store.by_name[n] for n in sorted(names)]
        # An entry without a module failed while importing: nothing of it is loaded.
        return [e for e in entries if e.module is not None]

    def _pending(
        self, entries: list[Loaded], names: list[str], results: list[ReloadResult]
    ) -> dict[str, tuple[str, bool]]:
        """name: (new text, deep) for every module that needs work; others go to results."""
        from freshrepl.reload.files import check_file, read_text

        pending: dict[str, tuple[str, bool]] = {}
        for entry in entries:
            check = check_file(entry)
            if check.result is not None:
                results.append(check.result)
            elif check.text is not None:
                pending[entry.name] = (check.text, False)
        for name in names:
            known = self.store.by_name.get(name)
            if known is None or known.text is None:
                why = "a compiled extension" if known else "not an imported user module (see :watch)"
                results.append(ReloadResult(name, "", FAILED, error=f"{name} is {why}"))
                continue
            text = pending.get(name, (None,))[0] or read_text(known) or known.text
            pending[name] = (text, True)
        return pending

    def _module_of(self, entry: Loaded) -> types.ModuleType | None:
        return self.main if entry.name == MAIN else entry.module

    def _reload_all(self, pending: dict[str, tuple[str, bool]], results: list) -> None:
        """Changed modules dependencies first; then importers whose from-imported names
        were rebound get the statements that read those names re-run (``Y = X * 2``)."""
        self.rebinder.undo_log.clear()
        seeds: dict[str, set[str]] = {}
        done: set[str] = set()
        reloaded: set[str] = set()
        from freshrepl.reload.order import in_dependency_order

        queue = in_dependency_order(self.store, self.main, list(pending))
        while queue:
            for name in queue:
                if name in done:
                    continue
                done.add(name)
                entry = self.store.by_name.get(name)
                if entry is None or entry.text is None:
                    continue
                text, deep = pending.get(name, (entry.text, False))
                result = self._reload_one(entry, text, deep, seeds.pop(name, set()), seeds)
                if result is not None:
                    results.append(result)
                if result is None or result.status == RELOADED:
                    reloaded.add(name)  # new code, or new values bound
            queue = in_dependency_order(self.store, self.main, [n for n in seeds if n not in done])
        if reloaded:
            from freshrepl.reload.derived import clear_results
            from freshrepl.reload.order import result_holders

            clear_results(result_holders(self.store, self.main, reloaded))

    # -- one module ------------------------------------------------------------------
    def _reload_one(
        self, entry: Loaded, text: str, deep: bool, seed: set[str], seeds: dict[str, set[str]]
    ) -> ReloadResult | None:
        """Reload one module; ``seed`` are names rebound in it by an earlier reload."""
        from freshrepl.reload import rules
        from freshrepl.reload.apply import ModuleReload
        from freshrepl.reload.context import ReloadContext
        from freshrepl.reload.interpreter import unsupported_reason
        from freshrepl.reload.report import syntax_error_fields

        module = self._module_of(entry)
        if module is None:
            return self._refused(entry, FAILED, error="module is no longer loaded")
        try:
            rules.check_module(rules.ModuleChange(entry.name, module, unsupported_reason()))
        except rules.Unsafe as refusal:
            return self._refused(entry, UNSAFE, detail=str(refusal))
        try:
            new_tree, new_code = _compile(entry, text, deep)
        except (SyntaxError, ValueError) as exc:
            if not isinstance(exc, SyntaxError):  # e.g. a null byte in the source
                exc = SyntaxError(str(exc), (entry.path, 1, 0, ""))
            return self._refused(entry, FAILED, **syntax_error_fields(exc, entry.path))
        texts = (entry.text or "", text)
        attempt = ModuleReload(ReloadContext(
            module, entry.path, entry.tree(), new_tree, new_code, texts, deep=deep,
            dirty=set(seed), removed_defs=entry.removed_defs,
            protected=self.prompt.rebound() if entry.name == MAIN else set(),
            is_decorator=self.prompt.used_as_decorator,
        ))
        remember_lines(entry.path, text)  # errors in the new code show its true lines
        try:
            changes = attempt.run()
        except BaseException as exc:  # user code may raise anything (SystemExit too)
            fields = _failure_fields(exc, entry.path)
            attempt.rollback()
            remember_lines(entry.path, entry.text or "")
            return self._refused(entry, **fields)
        edited = deep or texts[0] != text
        result = self._commit(entry, module, text, new_tree, new_code, changes, edited, seeds)
        attempt.release()
        return result

    def _refused(self, entry: Loaded, status: str, **fields: Any) -> ReloadResult:
        self.rebinder.undo(entry.name)  # a refused module keeps its old bindings too
        return ReloadResult(entry.name, entry.path, status, **fields)

    def _commit(
        self,
        entry: Loaded,
        module: types.ModuleType,
        text: str,
        tree: ast.Module,
        code: types.CodeType | None,
        changes: Changes,
        edited: bool,
        seeds: dict[str, set[str]],
    ) -> ReloadResult | None:
        if text != entry.text:
            entry.text = text
            entry.tree_cache = {text: tree}
            self.prompt.decorator_words.take_in(entry)
        for name in changes.restored | changes.added:
            entry.removed_defs.pop(name, None)
        entry.removed_defs.update(changes.buried)
        if code is not None:
            self.store.set_code_names(entry, frozenset(code.co_names))
        if entry.name == MAIN:
            self.prompt.script_ran(entry)
        for owner, rebound in self.rebinder.rebind(entry.name, module, changes).items():
            seeds.setdefault(owner, set()).update(rebound)
        if not edited and not changes.described:
            return None  # only rebound names, and nothing here reads them at import time
        from freshrepl.reload.report import summarize

        names = list(dict.fromkeys(n for n, _ in changes.described))
        summary = summarize(changes.described)
        return ReloadResult(entry.name, entry.path, RELOADED, detail=summary, changed_names=names)


def _adopt(store: SourceStore, name: str, module: types.ModuleType, path: str) -> None:
    """A user module imported before the hook: its file now is our best guess."""
    try:
        with open(path, "rb") as handle:
            store.record_source(name, path, handle.read())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return
    store.loaded(name, module)


class _PromptState:
    """What ``__main__`` holds apart from modules: the values the ``-i`` script bound (to
    tell the user's later rebinding apart) and the decorators used at the prompt."""

    def __init__(self, main: types.ModuleType, store: SourceStore) -> None:
        self.main, self.store = main, store
        self.script_values: dict[str, Any] = {}
        self.decorators: set[str] = set()
        self.decorator_words = DecoratorWords(store)

    def note_decorators(self, source: str) -> None:
        if "@" in source:
            try:
                self.decorators |= decorator_paths(ast.parse(source))
            except (SyntaxError, ValueError):
                pass

    def script_ran(self, entry: Loaded) -> None:
        """The script (or its reload) ran: remember what it bound."""
        from freshrepl.reload.plan import all_bound

        names = all_bound(entry.tree().body)
        self.script_values = {n: self.main.__dict__[n] for n in names if n in self.main.__dict__}

    def rebound(self) -> set[str]:
        """Script names the user has rebound since: never deleted by a reload."""
        namespace = self.main.__dict__
        return {n for n, v in self.script_values.items() if namespace.get(n, self) is not v}

    def used_as_decorator(self, fn: types.FunctionType) -> bool:
        """Is ``fn`` used as a decorator in the user's code or at the prompt?"""
        entries = self.decorator_words.naming(fn.__code__.co_name)
        modules = [(e.text, self.main if e.name == MAIN else e.module) for e in entries]
        sources = [(text, m.__dict__) for text, m in modules if text and m is not None]
        return used_as_decorator(fn, sources, self.main.__dict__, self.decorators)


class DecoratorWords:
    """Which modules have a word on a decorator line: an index, kept up to date with the store.

    Which modules could use a function as a decorator is asked on every
    reload of a function.  Decoding every module's source for it cost ~10 µs
    a module; even visiting every module's entry costs, after a checkpoint's
    fork, a page copy each (~3 ms with 2,000 modules).  So each source is
    read once per version: those kept since the last question (the store's
    ``kept`` count), those a reload rewrote (``take_in``); a module none of
    whose ``@`` lines has the name as a word cannot match ``used_as_decorator``.
    """

    _LINE = re.compile(r"^[ \t]*@(.*)$", re.M)
    _WORD = re.compile(r"\w+")

    def __init__(self, store: SourceStore) -> None:
        self.store = store
        self._mark = 0  # store.kept when the kept entries were last taken in
        # Modules with any decorator word (most have none): the version read, its words.
        self._read: dict[str, tuple[object, frozenset[str]]] = {}
        self._by_word: dict[str, set[str]] = {}

    def naming(self, word: str) -> list[Loaded]:
        """The store's modules with ``word`` as a whole word on a decorator line."""
        for entry in self.store.kept_since(self._mark):
            self.take_in(entry)
        self._mark = self.store.kept
        found = []
        for name in sorted(self._by_word.get(word, ())):
            known = self.store.by_name.get(name)
            if known is None:  # forgotten
                self._drop(name)
                continue
            if self._read[name][0] is not known.version:  # rewritten without being taken in
                self.take_in(known)
            if word in self._read.get(name, (None, ()))[1]:
                found.append(known)
        return found

    def take_in(self, entry: Loaded) -> None:
        """Read the decorator lines of ``entry``'s current source."""
        self._drop(entry.name)
        text = entry.text or ""
        words = frozenset(w for line in self._LINE.findall(text) for w in self._WORD.findall(line))
        if words:
            self._read[entry.name] = (entry.version, words)
            for word in words:
                self._by_word.setdefault(word, set()).add(entry.name)

    def _drop(self, name: str) -> None:
        _, words = self._read.pop(name, (None, ()))
        for word in words:
            names = self._by_word[word]
            names.discard(name)
            if not names:
                del self._by_word[word]


def load_machinery() -> None:
    """Import what reloading needs (the caller shields ``sys.path``: see ``Reloader``).

    The local imports in the methods above then find these modules loaded.
    """
    if "freshrepl.reload.apply" in sys.modules:
        return
    import freshrepl.reload.apply
    import freshrepl.reload.derived
    import freshrepl.reload.files
    import freshrepl.reload.plan
    import freshrepl.reload.report
    import freshrepl.reload.rules  # noqa: F401


def _compile(entry: Loaded, text: str, deep: bool) -> tuple[ast.Module, types.CodeType | None]:
    """Parse and compile the new text (the whole file: compile-time errors count too).

    Only rebound names to follow (same text): the kept parse, and no code needed.
    """
    if text == entry.text and not deep:
        return entry.tree(), None
    tree = ast.parse(text, entry.path)
    return tree, compile(tree, entry.path, "exec", dont_inherit=True)


def _failure_fields(exc: BaseException, path: str) -> dict[str, Any]:
    """An Unsafe finding, or changed code that raised: the live process cannot run the
    new code (a framework past its setup, a registry that refuses a second entry), and a
    fresh one may, so that is offered as an unsafe change (``rules.refuse_failed_rerun``)."""
    from freshrepl.reload.report import runtime_error_fields
    from freshrepl.reload.rules import Unsafe, refuse_failed_rerun

    if isinstance(exc, Unsafe):
        return {"status": UNSAFE, "detail": str(exc)}
    fields = runtime_error_fields(exc, path)
    refusal = refuse_failed_rerun(exc, f"{fields['location']}: {fields['error']}")
    if refusal is None:
        return {"status": FAILED, **fields}
    return {"status": UNSAFE, "detail": str(refusal), **fields}


def _is_or_wraps(fn: types.FunctionType, value: object) -> bool:
    """``value`` is ``fn`` or a method or wrapper made of it (looked at statically)."""
    from freshrepl.reload.objects import function_of, wrapped

    return any(v is fn for v in (value, function_of(value), wrapped(value)))


def used_as_decorator(
    fn: types.FunctionType,
    sources: list[tuple[str, dict[str, Any]]],
    main: dict[str, Any],
    main_paths: set[str],
) -> bool:
    """A text search for ``@...name`` in each module's source, then each hit's dotted name
    is looked up where it is written: a plain edit parses nothing, and the same name
    used elsewhere for something else does not count."""
    name = fn.__code__.co_name
    places = [(main, p) for p in main_paths if p.endswith(name)]
    pattern = re.compile(rf"^[ \t]*@([\w. \t]*?\b{re.escape(name)})[ \t]*(?:\(|#|$)", re.M)
    for text, namespace in sources:
        if name in text:
            places += [(namespace, m.group(1)) for m in pattern.finditer(text)]
    return any(_is_or_wraps(fn, resolve(namespace, path)) for namespace, path in places)
