"""Planning a reload: which statements of a body changed, and the names each one binds.

Statements are paired by content, not position: moving code or adding blank
lines changes nothing; an edited statement has no identical twin in the old body.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from freshrepl.reload.analysis import bound_names, is_docstring, stmt_key

Plan = list[tuple[ast.stmt, set[str], bool]]  # (statement, names it binds, changed?)


@dataclass
class Changes:
    """What a successful reload did, for the notice and for rebinding importers."""

    described: list[tuple[str, str]] = field(default_factory=list)  # (name, verb)
    replaced: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # name: (old, new)
    removed: dict[str, Any] = field(default_factory=dict)  # name: old value
    added: set[str] = field(default_factory=set)
    # Defs and classes this reload removed (object, statement), and names it
    # brought back from an earlier removal as the very same object.
    buried: dict[str, tuple[Any, ast.stmt]] = field(default_factory=dict)
    restored: set[str] = field(default_factory=set)


def body_bindings(body: list[ast.stmt], in_class: bool = False) -> list[set[str]]:
    """Names bound by each statement of a body (a leading docstring binds ``__doc__``)."""
    found = [bound_names(stmt, in_class) for stmt in body]
    if body and is_docstring(body[0]):
        found[0] = {"__doc__"}
    return found


def first_line(stmt: ast.stmt) -> int:
    """A statement's first line, decorators included (a function's ``co_firstlineno``)."""
    return min(n.lineno for n in [stmt, *getattr(stmt, "decorator_list", [])])


def source_text(stmt: ast.stmt, lines: list[str]) -> str:
    """The exact text of a statement, decorators included: a cheap first equality test."""
    first = min([stmt, *getattr(stmt, "decorator_list", [])], key=lambda n: n.lineno)
    end_line, end_col = stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0
    chunk = lines[first.lineno - 1 : end_line]
    if not chunk:
        return ""
    chunk[-1] = chunk[-1][:end_col] if len(chunk) > 1 else chunk[-1][first.col_offset : end_col]
    if len(chunk) > 1:
        chunk[0] = chunk[0][first.col_offset :]
    return "".join(chunk)


def plan_body(
    old: list[ast.stmt],
    new: list[ast.stmt],
    lines: tuple[list[str], list[str]],
    deep: bool,
    in_class: bool = False,
    gone: list[ast.stmt] | None = None,
) -> Plan:
    """Pair up statements by content; anything without an identical old twin changed.

    Identical text is matched first (cheap); only the rest is compared by AST dump,
    which ignores positions, so moved or re-indented-by-comment code is not "changed".
    The old statements left without a new twin are appended to ``gone``.
    """
    by_text: dict[str, list[ast.stmt]] = {}
    for stmt in old:
        by_text.setdefault(source_text(stmt, lines[0]), []).append(stmt)
    matched, unmatched_new = set(), []
    for stmt in new:
        twins = by_text.get(source_text(stmt, lines[1]))
        if twins and not deep:
            matched.add(id(twins.pop()))
        else:
            unmatched_new.append(stmt)
    pool: dict[str, list[ast.stmt]] = {}
    for stmt in old:
        if id(stmt) not in matched:
            pool.setdefault(stmt_key(stmt), []).append(stmt)
    changed = set()
    for stmt in unmatched_new:
        twins = pool.get(stmt_key(stmt))
        if twins and not deep:
            twins.pop()
        else:
            changed.add(id(stmt))
    if gone is not None:
        gone += [s for twins in pool.values() for s in twins]
    bindings = body_bindings(new, in_class)
    return [(s, names, id(s) in changed) for s, names in zip(new, bindings, strict=True)]


def all_bound(body: list[ast.stmt], in_class: bool = False) -> Counter:
    return Counter(name for names in body_bindings(body, in_class) for name in names)


def dependency_order(names: list[str], deps: dict[str, set[str]]) -> list[str]:
    """``names`` with each one's dependencies (``deps``) before it; cycles keep the order."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return
        visiting.add(name)
        for dep in sorted(deps[name]):
            visit(dep)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered
