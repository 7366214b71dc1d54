"""Patching one changed ``class`` statement onto the class object that already exists.

Only the class body runs again (no metaclass call, no class decorators, no
``__init_subclass__``); ``def``s whose decorators did not change run bare and
their code goes into the existing functions; the other changed members are
copied onto the class.  What the class's machinery would derive differently is
refused first (``rules``), so nothing is half-applied.
"""

from __future__ import annotations

import ast
import copy
import gc
import types
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from freshrepl.reload import rules
from freshrepl.reload.analysis import DEFS, bound_names, eager_reads
from freshrepl.reload.context import ReloadContext
from freshrepl.reload.derived import refresh_class
from freshrepl.reload.functions import IDENTITY, FunctionPatcher, strip_decorators, with_identity
from freshrepl.reload.objects import is_a
from freshrepl.reload.patching import patch_class
from freshrepl.reload.plan import all_bound, plan_body


@dataclass
class MemberPlan:
    """What to do with a changed class body."""

    raw: dict[str, tuple[ast.stmt, ast.stmt]] = field(default_factory=dict)  # patch in place
    apply: set[str] = field(default_factory=set)  # copy from the new namespace
    nested: dict[str, tuple[ast.ClassDef, ast.ClassDef]] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)


def has_instances(cls: type) -> bool:
    """Any live object of ``cls`` (a heap walk: only for rare hook edits)."""
    return any(is_a(ref, cls) for ref in gc.get_referrers(cls))


class ClassPatch:
    """One class brought up to its new statement; an Unsafe raised on the way is undone by
    the reload's log like any other failure (the rules are checked before the body runs)."""

    def __init__(self, ctx: ReloadContext, cls: type, old: ast.ClassDef, new: ast.ClassDef) -> None:
        self.reload, self.cls, self.old, self.new = ctx, cls, old, new
        self.functions = FunctionPatcher(ctx)
        self.name = cls.__qualname__
        self.builders: list[str] = []

    def apply(self) -> None:
        rules.check_class_header(self.cls, self.old, self.new, self.reload.dirty)
        self.builders = rules.class_builders(self.cls, self.new)
        plan = self._plan()
        namespace = self._run_body(plan)
        described = self.reload.changes.described
        if _ANSWERS_ISINSTANCE & set(plan.raw):  # what ABCs remembered came from the old code
            self.reload.member_sets_changed = True
        for name, (old_stmt, stmt) in sorted(plan.raw.items()):
            qualname = f"{self.name}.{name}"
            self.functions.patch(
                self.cls.__dict__[name], namespace[name], old_stmt, stmt, qualname, namespace
            )
            described.append((qualname, "changed"))
        for name, (old_sub, sub) in plan.nested.items():
            ClassPatch(self.reload, self.cls.__dict__[name], old_sub, sub).apply()
            namespace.pop(name, None)
        before = set(self.cls.__dict__)
        patch_class(self.cls, namespace, plan.apply, plan.removed, self.reload.log)
        _imply_hash(self.cls, self.new)
        if plan.apply or plan.removed:  # the member set changed: ABC and Protocol sets too
            refresh_class(self.cls, self.reload.log)
            self.reload.member_sets_changed = True
        for member in sorted(plan.apply - {"__annotations__"}):
            described.append((f"{self.name}.{member}", "changed" if member in before else "added"))
        for member in sorted(plan.removed & before):
            described.append((f"{self.name}.{member}", "removed"))

    # -- deciding ----------------------------------------------------------------------------
    def _plan(self) -> MemberPlan:
        """Sort the changed statements; the rules refuse what machinery would derive."""
        reload, plan = self.reload, MemberPlan()
        deep = reload.deep and not self.builders  # machinery classes: only edited statements
        old_counts, new_counts = all_bound(self.old.body, True), all_bound(self.new.body, True)
        binders = {n: s for s in self.old.body for n in bound_names(s, True)}
        dirty = set(reload.dirty)
        gone: list[ast.stmt] = []
        rows = plan_body(
            self.old.body, self.new.body, reload.lines, deep, in_class=True,
            gone=None if deep else gone,
        )
        for stmt, names, changed in rows:
            redo = reload.deep and isinstance(stmt, DEFS)
            if not (changed or redo or eager_reads(stmt) & dirty):
                continue
            name = getattr(stmt, "name", "")
            old_stmt = binders.get(name) if name else None
            once = old_counts.get(name) == new_counts.get(name) == 1
            builders = tuple(self.builders)
            if self._patchable(stmt, old_stmt, once, dirty):
                if name not in self.cls.__dict__:  # the machinery took it elsewhere
                    rules.refuse_not_found(f"{self.name}.{name}", self.cls)
                plan.raw[name] = (old_stmt, stmt)  # type: ignore[assignment]
                rules.check_member(rules.Member(
                    self.cls, builders, stmt, frozenset(names), old_stmt, True, has_instances
                ))
                continue
            own = names - {"__annotations__"}  # every annotated field binds that one too
            previous = next((binders[n] for n in sorted(own) if n in binders), None)
            if isinstance(stmt, ast.ClassDef) and isinstance(old_stmt, ast.ClassDef):
                previous = old_stmt
            rules.check_member(rules.Member(self.cls, builders, stmt, frozenset(names), previous))
            nested = isinstance(stmt, ast.ClassDef) and isinstance(old_stmt, ast.ClassDef)
            if nested and self._nested_target(name) is not None:
                plan.nested[name] = (old_stmt, stmt)  # type: ignore[assignment]
                continue
            plan.apply |= names
            if not isinstance(stmt, (*DEFS, ast.ClassDef)):
                dirty |= names  # a def keeps its identity, so readers need not rerun
        plan.removed = set(old_counts) - set(new_counts)
        for name in sorted(plan.removed):
            rules.check_removal(rules.Removal(self.cls, tuple(self.builders), name, binders.get(name)))
        for old_stmt in gone:
            self._check_forgotten(old_stmt, plan, new_counts)
        return plan

    def _check_forgotten(self, old_stmt: ast.stmt, plan: MemberPlan, counts: Counter) -> None:
        """A method's old ``def`` with no twin: unless it is patched in place, a record its
        decorators kept of it would be stale (``rules.check_forgotten``)."""
        if not (isinstance(old_stmt, DEFS) and old_stmt.decorator_list):
            return
        name = old_stmt.name
        if name in plan.raw:
            return  # the same function is patched under the same decorators
        if name in plan.removed:
            why = rules.REMOVING
        elif counts.get(name) != 1:
            why = rules.REDEFINING
        else:
            why = rules.REDECORATING
        scope = dict(self.cls.__dict__)
        rules.check_forgotten(
            f"{self.name}.{name}", old_stmt, None,
            lambda e: self.functions.evaluate(e, scope), why,
        )

    def _patchable(self, stmt: ast.stmt, old: ast.stmt | None, once: bool, dirty: set[str]) -> bool:
        """A ``def`` that was there before, bound once, with the same decorators (in a
        plain class, one the user deleted from the class since is simply set again)."""
        if not (isinstance(stmt, DEFS) and isinstance(old, DEFS) and once):
            return False
        present = stmt.name in self.cls.__dict__ or bool(self.builders)
        return present and rules.decorators_same(old, stmt, dirty)

    def _nested_target(self, name: str) -> type | None:
        target = self.cls.__dict__.get(name)
        if is_a(target, type) and target.__qualname__.startswith(self.name + "."):
            return target
        return None

    # -- running -----------------------------------------------------------------------------
    def _run_body(self, plan: MemberPlan) -> dict[str, Any]:
        """Run just the class body, the defs to patch without their decorators."""
        stmt = copy.copy(self.new)
        stmt.body = [
            strip_decorators(s) if getattr(s, "name", None) in plan.raw else s for s in stmt.body
        ]
        code = self.reload.compile_statement(stmt)
        body = next(
            (c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == stmt.name),
            None,
        )
        if body is None or body.co_freevars:
            rules.refuse_generic_class(stmt.name)
        namespace: dict[str, Any] = type(self.cls).__prepare__(  # type: ignore[assignment]
            stmt.name, self.cls.__bases__
        )
        # Names the body read at import that a later statement rebinds, as they were.
        body_only = copy.copy(stmt)
        body_only.bases, body_only.keywords, body_only.decorator_list = [], [], []
        scope = self.reload.as_it_was(body_only)
        namespace.update(scope)
        if plan.raw:
            with_identity(namespace)
        exec(body, self.reload.globals, namespace)
        namespace.pop(IDENTITY, None)
        for name, value in scope.items():
            if namespace.get(name) is value:
                del namespace[name]
        return namespace


# Methods whose answers ABCs keep in their caches: an edit resets every ABC's caches.
_ANSWERS_ISINSTANCE = frozenset({"__subclasshook__", "__instancecheck__", "__subclasscheck__"})


def _imply_hash(cls: type, stmt: ast.ClassDef) -> None:
    """As class creation does: ``__eq__`` without ``__hash__`` makes instances unhashable.

    Decorated classes are left alone: a decorator (dataclass) decides ``__hash__``.
    """
    members = all_bound(stmt.body, True)
    if stmt.decorator_list or "__hash__" in members:
        return
    implied_none = "__eq__" in members
    is_none = "__hash__" in cls.__dict__ and cls.__dict__["__hash__"] is None
    if implied_none and not is_none:
        type.__setattr__(cls, "__hash__", None)
    elif not implied_none and is_none:
        type.__delattr__(cls, "__hash__")
