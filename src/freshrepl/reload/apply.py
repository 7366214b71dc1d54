"""Applying one module's new source in place: plan, run changed statements, commit or undo.

Changed statements run in the module's own namespace, one by one.  Before the
first one runs we snapshot the namespace and log every object we patch, so a
failure (an exception, or an unsafe change found on the way) puts everything
back: the module is left exactly as it was.  Functions are patched by
``functions``, classes by ``classes``, closures made earlier by ``closures``;
the reasons for refusing are all in ``rules``.
"""

from __future__ import annotations

import ast
import gc
import types

from freshrepl.reload import rules
from freshrepl.reload.analysis import DEFS, eager_reads
from freshrepl.reload.classes import ClassPatch
from freshrepl.reload.context import ReloadContext
from freshrepl.reload.derived import reset_abc_caches
from freshrepl.reload.functions import (
    FunctionPatcher,
    strip_decorators,
    with_identity,
    without_defaults,
)
from freshrepl.reload.objects import is_a, made_in
from freshrepl.reload.patching import (
    MISSING,
    find_raw_function,
    patch_in_place,
    unregister,
)
from freshrepl.reload.plan import Changes, all_bound, body_bindings, first_line, plan_body
from freshrepl.reload.positions import refresh_positions

__all__ = ["Changes", "ModuleReload", "all_bound"]


class ModuleReload:
    """One attempt at bringing a module up to its new text (``ctx``); ``run`` raises on
    failure, ``rollback`` then puts everything back."""

    def __init__(self, ctx: ReloadContext) -> None:
        self.ctx = ctx
        # The shared parts, under short names: the same objects as the context's.
        self.module, self.path, self.deep = ctx.module, ctx.path, ctx.deep
        self.globals, self.snapshot, self.log = ctx.globals, ctx.snapshot, ctx.log
        self.changes, self.dirty, self.lines = ctx.changes, ctx.dirty, ctx.lines
        self.old_tree, self.new_tree, self.new_code = ctx.old_tree, ctx.new_tree, ctx.new_code
        self.removed_defs, self.protected, self.moved = ctx.removed_defs, ctx.protected, ctx.moved
        old_counts, new_counts = all_bound(self.old_tree.body), all_bound(self.new_tree.body)
        self.single = {n for n, c in new_counts.items() if c == 1 and old_counts.get(n, 0) <= 1}
        self.deleted = set(old_counts) - set(new_counts) - {"*"}
        self.old_defs = _definitions(self.old_tree)
        self.new_defs = _definitions(self.new_tree)
        # Changed defs of a name bound more than once, by id: the first line of the old
        # statement each one replaces (its builders run again: see _check_old_record).
        self._rebuilt: dict[int, int] = {}
        self._unpaired: list[ast.stmt] = []
        self.functions = FunctionPatcher(ctx)

    # -- driving -------------------------------------------------------------------
    def run(self) -> Changes:
        gone: list[ast.stmt] = []
        if self.moved or self.deep:
            plan = plan_body(
                self.old_tree.body, self.new_tree.body, self.lines, self.deep,
                gone=None if self.deep else gone,
            )
        else:  # same text: only statements reading rebound (seed) names run again
            body = self.new_tree.body
            plan = [(s, n, False) for s, n in zip(body, body_bindings(body), strict=True)]
        self._unpaired = [s for s, _, changed in plan if changed and isinstance(s, DEFS)]
        for old_stmt in gone:
            self._check_forgotten(old_stmt)
        _check_changed_calls(plan, gone)
        self.ctx.last_binding = {n: i for i, (_, names, _) in enumerate(plan) for n in names}
        for name in sorted(self.deleted):
            self._delete(name)
        for position, (stmt, names, changed) in enumerate(plan):
            # A statement that reads a name whose value changed runs again, and so does
            # one that binds it again: the later binding is what a fresh run ends with.
            if changed or (self.dirty and (eager_reads(stmt) | names) & self.dirty):
                self.ctx.position = position
                self._run_statement(stmt, names)
                self.ctx.ran.update(names)
        self.changes.described += self.log.closures.finish(self.log)
        if self.ctx.member_sets_changed:
            reset_abc_caches()
        if self.moved and self.new_code is not None:
            refresh_positions(self.globals, self.new_code, self.module.__name__, self.path, self.log)
        return self.changes

    def release(self) -> None:
        """Committed: let go of the snapshot (the context's cycle kept it to the next collection)."""
        self.snapshot.clear()

    def rollback(self) -> None:
        self.globals.clear()
        self.globals.update(self.snapshot)
        self.log.rollback()

    def _check_forgotten(self, old_stmt: ast.stmt) -> None:
        """An old ``def`` or ``class`` with no twin in the new file: unless the same object
        is patched in place under the same decorators, a record its builders kept of it
        would be stale (``rules.check_forgotten``)."""
        if not isinstance(old_stmt, (*DEFS, ast.ClassDef)):
            return
        name = old_stmt.name
        stmt = self.new_defs.get(name)
        if name in self.deleted:
            why = rules.REMOVING
        elif name not in self.single or type(stmt) is not type(old_stmt):
            if self._pair_rebuilt(old_stmt):
                return
            why = rules.REDEFINING
        elif isinstance(stmt, ast.ClassDef):
            return  # the same class object is patched; its header rules decide
        elif rules.decorators_same(old_stmt, stmt, self.dirty):
            return
        else:
            why = rules.REDECORATING
        built = self.globals.get(name)
        if not made_in(built, self.module.__name__):
            built = None
        rules.check_forgotten(name, old_stmt, built, self.ctx.evaluate, why)

    def _pair_rebuilt(self, old_stmt: ast.stmt) -> bool:
        """A changed def of a name bound more than once (singledispatch's ``_``), with the
        same decorators and header: its builders, run again on the same inputs, record
        the new function where they recorded the old one; checked after it runs."""
        name = getattr(old_stmt, "name", "")
        for stmt in self._unpaired:
            if getattr(stmt, "name", "") != name:
                continue
            if rules.decorators_same(old_stmt, stmt, self.dirty) and rules.same_header(old_stmt, stmt):
                self._unpaired.remove(stmt)
                self._rebuilt[id(stmt)] = first_line(old_stmt)
                return True
        return False

    def _check_old_record(self, name: str, line: int) -> None:
        """Whatever recorded the re-built function must not still hold the old one."""
        now = self.globals.get(name)
        holders = self._holders(now)
        for holder in holders:
            if not is_a(holder, (list, tuple, set, frozenset, dict)):
                continue  # only builtin containers are read: iterating others runs their code
            values = dict.values(holder) if is_a(holder, dict) else holder
            for value in list(values):
                raw = find_raw_function(value, name, self.path) if value is not now else None
                if raw is not None and raw.__code__.co_firstlineno == line:
                    unregister(now, holders)  # refused: the new one must not stay either
                    rules.refuse_old_record(name, holder)

    def _delete(self, name: str) -> None:
        if name in self.protected:
            return
        if name == "__doc__":
            self.globals["__doc__"] = None
        elif name in self.globals:
            value = self.changes.removed[name] = self.globals.pop(name)
            self.changes.described.append((name, "removed"))
            old_stmt = self.old_defs.get(name)
            if old_stmt is not None and self._defined_here(value, name):
                self.changes.buried[name] = (value, old_stmt)
        self.dirty.add(name)

    def _defined_here(self, value: object, name: str) -> bool:
        """Only objects this module made keep their identity (not imported ones)."""
        if is_a(value, type):
            return made_in(value, self.module.__name__)
        if type(value) is types.FunctionType and value.__code__.co_filename == self.path:
            return True
        return find_raw_function(value, name, self.path) is not None

    # -- one statement -------------------------------------------------------------
    def _run_statement(self, stmt: ast.stmt, names: set[str]) -> None:
        name: str = getattr(stmt, "name", "")
        if name in self.removed_defs and name not in self.snapshot and self._restore(name, stmt):
            return
        was = self.snapshot.get(name, MISSING) if name else MISSING
        old_stmt = self.old_defs.get(name) if name else None
        if name in self.single and old_stmt is not None and was is not MISSING:
            if isinstance(stmt, ast.ClassDef) and isinstance(old_stmt, ast.ClassDef):
                if made_in(was, self.module.__name__):
                    return ClassPatch(self.ctx, was, old_stmt, stmt).apply()
            elif isinstance(stmt, DEFS) and isinstance(old_stmt, DEFS):
                if rules.decorators_same(old_stmt, stmt, self.dirty) and (
                    self._defined_here(was, name) or self._hides_function(was)
                ):
                    return self._patch_def(was, old_stmt, stmt)
        scope = self.ctx.as_it_was(stmt)
        self.ctx.exec(stmt, scope or None)
        for bound in names & set(scope):  # run beside the names it read as they were
            self.globals[bound] = scope[bound]
        self._reconcile(stmt, names)
        if id(stmt) in self._rebuilt:
            self._check_old_record(name, self._rebuilt[id(stmt)])

    @staticmethod
    def _hides_function(value: object) -> bool:
        """Made by a decorator of ours, but holding the function where we cannot look."""
        return not is_a(value, (type, types.ModuleType)) and callable(value)

    def _patch_def(self, was: object, old_stmt: ast.stmt, stmt: ast.stmt) -> None:
        """A ``def`` whose decorators did not change: new code into the old function."""
        bare = strip_decorators(stmt)
        reads = bare if not self.functions.same_defaults(old_stmt, stmt) else without_defaults(bare)
        scratch = with_identity(self.ctx.as_it_was(reads))  # unchanged defaults are kept
        self.ctx.exec(bare, scratch)
        new = scratch[stmt.name]  # type: ignore[attr-defined]
        self.functions.patch(was, new, old_stmt, stmt, stmt.name)  # type: ignore[attr-defined]
        self.changes.described.append((stmt.name, "changed"))  # type: ignore[attr-defined]

    def _restore(self, name: str, stmt: ast.stmt) -> bool:
        """Bring back the def or class an earlier reload removed, as the same object.

        False when the new definition is not a compatible version of the old
        one (another kind, other bases or decorators): it is then a new object.
        """
        was, old_stmt = self.removed_defs[name]
        if name not in self.single or type(old_stmt) is not type(stmt):
            return False
        if isinstance(stmt, ast.ClassDef) and isinstance(old_stmt, ast.ClassDef):
            try:
                rules.check_class_header(was, old_stmt, stmt, self.dirty)
            except rules.Unsafe:
                return False
            self.globals[name] = was
            ClassPatch(self.ctx, was, old_stmt, stmt).apply()
        else:
            if not rules.decorators_same(old_stmt, stmt, self.dirty):
                return False
            self.globals[name] = was
            self._patch_def(was, old_stmt, stmt)
        self.changes.restored.add(name)
        self.changes.described.append((name, "restored"))
        return True

    def _reconcile(self, stmt: ast.stmt, names: set[str]) -> None:
        """After a statement ran: keep identities of functions/classes, note what changed."""
        for name in sorted(names - {"*"}):
            was, now = self.snapshot.get(name, MISSING), self.globals.get(name, MISSING)
            if was is now:
                continue
            # A class never gets a second object, even for a name bound twice.
            single = name in self.single or is_a(was, type)
            if single and now is not MISSING and self._defined_here(was, name):
                if self._keep_identity(name, was, now, stmt):
                    self.globals[name] = was
                    self.changes.described.append((name, "changed"))
                    continue
            self.dirty.add(name)
            if was is MISSING:
                self.changes.added.add(name)
                self.changes.described.append((name, "added"))
            else:
                self.changes.replaced[name] = (was, now)
                self.changes.described.append((name, "changed"))

    def _keep_identity(self, name: str, was: object, now: object, stmt: ast.stmt) -> bool:
        if is_a(was, type):
            rules.check_class_rebuilt(name, was, now)
            return True
        if isinstance(stmt, DEFS):
            holders = self._holders(now)
            unregister(now, holders, was)
            rules.check_registered_again(name, holders)
        if patch_in_place(was, now, self.log):
            return True
        if isinstance(stmt, DEFS):
            rules.refuse_kind_changed(name, was, now)
        return False

    def _holders(self, obj: object) -> list[object]:
        """What refers to a re-decorated function besides this module and the function's
        own parts: a registry the decorator put it in (a heap walk, for decorator edits)."""
        own = {id(x) for x in gc.get_referents(obj)} | {id(self.globals)}
        found = []
        for ref in gc.get_referrers(obj):
            if id(ref) in own or is_a(ref, (types.FrameType, types.CellType)):
                continue
            if is_a(ref, dict) and dict.get(ref, "__wrapped__") is obj:
                continue  # functools.wraps in a wrapper that is itself a part
            found.append(ref)
        return found


def _check_changed_calls(plan: list[tuple[ast.stmt, set[str], bool]], gone: list[ast.stmt]) -> None:
    """A changed call statement, paired with the old ones it may replace: what an old call
    did to a live object must not stay beside what the new one does (``rules``)."""
    old_calls = [s for s in gone if isinstance(s, ast.Expr)]
    for call in (s for s, _, changed in plan if changed and isinstance(s, ast.Expr)):
        for old_call in old_calls:
            rules.check_statement(rules.Statement(call, old_call))


def _definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    """The last ``def`` or ``class`` statement of each name in a module body."""
    return {s.name: s for s in tree.body if isinstance(s, (*DEFS, ast.ClassDef))}
