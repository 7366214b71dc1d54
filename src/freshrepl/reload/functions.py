"""Patching one changed ``def`` in place: the existing function object gets the new code.

Decorators are not re-applied when they did not change: their registrations are
not repeated and their state (lru cache, dispatch registry) stays with the old
object.  The undecorated function is found inside whatever the decorators made
(``__wrapped__``, ``__func__``, ``fget``, closures); its code, defaults and
docstring are replaced, so every reference to it, the ones libraries kept
included (validators, serializers, callbacks), runs the new code.
"""

from __future__ import annotations

import ast
import copy
import types
from typing import Any

from freshrepl.reload import rules
from freshrepl.reload.analysis import eager_reads, stmt_key
from freshrepl.reload.context import ReloadContext
from freshrepl.reload.holders import foreign_holder
from freshrepl.reload.patching import (
    clear_caches,
    find_raw_function,
    is_redirected,
    patch_function,
    refresh_wrappers,
    wrapper_metadata,
)

IDENTITY = "__freshrepl_identity__"


def _identity(fn: object) -> object:
    return fn


def strip_decorators(stmt: ast.stmt) -> ast.stmt:
    """A copy of a ``def`` whose decorators are identities, in their places (so that
    ``co_firstlineno`` stays on the first decorator, as in the real function)."""
    bare = copy.copy(stmt)
    bare.decorator_list = [  # type: ignore[attr-defined]
        ast.copy_location(ast.Name(id=IDENTITY, ctx=ast.Load()), d)
        for d in stmt.decorator_list  # type: ignore[attr-defined]
    ]
    return bare


def without_defaults(stmt: ast.stmt) -> ast.stmt:
    """A copy of a ``def`` without its default values (to ask what the rest reads)."""
    bare = copy.copy(stmt)
    bare.args = copy.copy(stmt.args)  # type: ignore[attr-defined]
    bare.args.defaults, bare.args.kw_defaults = [], []  # type: ignore[attr-defined]
    return bare


def with_identity(namespace: dict[str, Any]) -> dict[str, Any]:
    namespace[IDENTITY] = _identity
    return namespace


class FunctionPatcher:
    """Puts a freshly compiled ``def`` into the function object that already exists."""

    def __init__(self, ctx: ReloadContext) -> None:
        self.path, self.log, self.dirty, self.evaluate = ctx.path, ctx.log, ctx.dirty, ctx.evaluate
        self.snapshot = ctx.snapshot

    def held_by(self, targets: list[object]) -> str | None:
        """What outside the user's code holds one of ``targets`` (the snapshot of the
        namespace is ours: not walked up)."""
        return foreign_holder(targets, ignore=self.snapshot)

    def find(self, holder: object, name: str, qualname: str) -> types.FunctionType:
        """The undecorated function inside ``holder``; refused if there is none to patch."""
        raw = find_raw_function(holder, name, self.path)
        if raw is None:
            rules.refuse_not_found(qualname, holder)
        return raw

    def patch(
        self,
        holder: object,
        new: types.FunctionType,
        old_stmt: ast.stmt,
        stmt: ast.stmt,
        qualname: str,
        scope: dict[str, Any] | None = None,
    ) -> None:
        """Patch the function inside ``holder`` (the module or class value) from ``new``."""
        raw = self.find(holder, new.__code__.co_name, qualname)
        rules.check_def(rules.DefChange(
            qualname, old_stmt, stmt, lambda e: self.evaluate(e, scope), frozenset(self.dirty),
            raw, holder, self.held_by,
        ))
        defaults = raw.__defaults__, raw.__kwdefaults__
        before = wrapper_metadata(raw)
        patch_function(raw, new, self.log, keep_state=True)
        if self.same_defaults(old_stmt, stmt) and not is_redirected(raw):
            # ``def f(x, seen={})``: an unchanged default keeps the state it gathered.
            raw.__defaults__, raw.__kwdefaults__ = defaults
        clear_caches(holder)
        refresh_wrappers(holder, raw, before)

    def same_defaults(self, old: ast.stmt, new: ast.stmt) -> bool:
        def parts(stmt: ast.stmt) -> list[ast.expr | None]:
            args = stmt.args  # type: ignore[attr-defined]
            return [*args.defaults, *args.kw_defaults]

        new_parts = [p for p in parts(new) if p is not None]
        reads = set().union(*(eager_reads(ast.Expr(value=p)) for p in new_parts))
        same = [stmt_key(p) if p else "" for p in parts(old)] == [
            stmt_key(p) if p else "" for p in parts(new)
        ]
        return same and not reads & self.dirty
