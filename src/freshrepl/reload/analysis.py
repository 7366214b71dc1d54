"""Static facts about source code: statement keys, bound and read names, imports."""

from __future__ import annotations
import __future__

import ast
import importlib.util
from collections.abc import Iterator
from types import CodeType

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Code objects of comprehensions run inline, with the code that defines them.
COMPREHENSIONS = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"})


def stmt_key(node: ast.AST) -> str:
    """A statement's identity, ignoring where it sits in the file."""
    return ast.dump(node)


def is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and the nodes under it that run with it (no function bodies)."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        if isinstance(current, _SCOPES) and (
            current is not node or not isinstance(node, ast.ClassDef)
        ):
            continue  # a function body runs later; a class body (at the root) runs now
        todo.extend(ast.iter_child_nodes(current))


def bound_names(stmt: ast.stmt, in_class: bool = False) -> set[str]:
    """The names a top-level (or class-body) statement binds; ``*`` for star imports."""
    if isinstance(stmt, (*DEFS, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, ast.Import):
        return {a.asname or a.name.split(".")[0] for a in stmt.names}
    if isinstance(stmt, ast.ImportFrom):
        return {a.asname or a.name for a in stmt.names}
    names: set[str] = set()
    for node in _walk_scope(stmt):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (*DEFS, ast.ClassDef)) and node is not stmt:
            names.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= bound_names(node)
    if in_class and isinstance(stmt, ast.AnnAssign):
        names.add("__annotations__")
    return names


class _EagerReads(ast.NodeVisitor):
    """Collects names read while a statement executes (not later, inside function bodies)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.names.add(node.id)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expr in [*node.decorator_list, node.returns, *_arg_parts(node.args)]:
            if expr is not None:
                self.visit(expr)

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for expr in [*node.args.defaults, *node.args.kw_defaults]:
            if expr is not None:
                self.visit(expr)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        for stmt in node.body:
            self.visit(stmt)


def _arg_parts(args: ast.arguments) -> list[ast.expr | None]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    annotations = [a.annotation for a in every if a is not None]
    return [*args.defaults, *args.kw_defaults, *annotations]


def eager_reads(stmt: ast.stmt) -> set[str]:
    """Names whose values a statement reads while it runs."""
    visitor = _EagerReads()
    visitor.visit(stmt)
    return visitor.names


def future_flags(tree: ast.Module) -> int:
    """The compiler flags of the module's ``from __future__`` imports."""
    flags = 0
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for alias in stmt.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
    return flags


def _resolve(node: ast.ImportFrom, package: str | None) -> str | None:
    if not node.level:
        return node.module
    if not package:
        return None
    try:
        return importlib.util.resolve_name("." * node.level + (node.module or ""), package)
    except (ImportError, ValueError):
        return None


def from_imports(tree: ast.Module, package: str | None) -> list[tuple[str, str, str]]:
    """``(module, name, bound_as)`` for each module-level ``from m import name [as x]``."""
    found = []
    for stmt in tree.body:
        for node in _walk_scope(stmt):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = _resolve(node, package)
            if source and source != "__future__":
                found += [(source, a.name, a.asname or a.name) for a in node.names]
    return found


def imported_modules(tree: ast.Module, package: str | None) -> set[str]:
    """Modules a module imports when it runs (a ``from`` import may name a submodule too).

    Imports inside function bodies run later, so they are no load-order dependency.
    """
    found: set[str] = set()
    for node in (n for stmt in tree.body for n in _walk_scope(stmt)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node, package)
            if source:
                found.add(source)
                found.update(f"{source}.{a.name}" for a in node.names)
    return found


def code_index(code: CodeType, prefix: tuple[str, ...] = ()) -> dict[tuple, list[CodeType]]:
    """Every code object nested in ``code``, keyed by its path of names, in source order."""
    index: dict[tuple, list[CodeType]] = {}
    for const in code.co_consts:
        if isinstance(const, CodeType):
            path = (*prefix, const.co_name)
            index.setdefault(path, []).append(const)
            for key, codes in code_index(const, path).items():
                index.setdefault(key, []).extend(codes)
    return index


def same_shape(a: CodeType, b: CodeType) -> bool:
    """True when two code objects differ at most in positions (lines, columns, file)."""
    if (a.co_code, a.co_names, a.co_varnames, a.co_freevars, a.co_cellvars, a.co_flags) != (
        b.co_code,
        b.co_names,
        b.co_varnames,
        b.co_freevars,
        b.co_cellvars,
        b.co_flags,
    ):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts, strict=True):
        if isinstance(x, CodeType) and isinstance(y, CodeType):
            if not same_shape(x, y):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def decorator_paths(tree: ast.AST) -> set[str]:
    """The dotted name called by every decorator (``@m.deco(1)`` -> ``m.deco``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        for expr in getattr(node, "decorator_list", ()):
            while isinstance(expr, ast.Call):
                expr = expr.func
            if isinstance(expr, (ast.Attribute, ast.Name)):
                found.add(ast.unparse(expr))
    return found


def resolve(namespace: dict, path: str) -> object:
    """The value of a dotted name in a namespace, looked up statically: a module's or an
    object's own attribute, a class's raw member (None when it does not resolve so)."""
    from freshrepl.reload.objects import MISSING, class_lookup, is_a, own_attribute

    head, *rest = "".join(path.split()).split(".")
    value = namespace.get(head)
    for part in rest:
        found = class_lookup(value, part) if is_a(value, type) else own_attribute(value, part)
        if found is MISSING:
            return None
        value = found
    return value
