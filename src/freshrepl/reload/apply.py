"""Applying one module's new source in place: plan, run changed statements, commit or undo.

Changed statements run in the module's own namespace, one by one.  Before the
first one runs we snapshot the namespace and log every object we patch, so a
failure (an exception, or an unsafe change found on the way) puts everything
back: the module is left exactly as it was.
"""

from __future__ import annotations

import ast
import copy
import enum
import types
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from freshrepl.reload.analysis import (
    DEFS,
    bound_names,
    code_index,
    eager_reads,
    future_flags,
    is_docstring,
    same_shape,
    stmt_key,
)
from freshrepl.reload.patching import (
    MISSING,
    UndoLog,
    Unsafe,
    clear_caches,
    find_raw_function,
    patch_class,
    patch_function,
    patch_in_place,
)

_IDENTITY = "__freshrepl_identity__"


def _identity(fn: object) -> object:
    return fn


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
) -> Plan:
    """Pair up statements by content; anything without an identical old twin changed.

    Identical text is matched first (cheap); only the rest is compared by AST dump,
    which ignores positions, so moved or re-indented-by-comment code is not "changed".
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
    pool = Counter(stmt_key(s) for s in old if id(s) not in matched)
    changed = set()
    for stmt in unmatched_new:
        key = stmt_key(stmt)
        if pool[key] > 0 and not deep:
            pool[key] -= 1
        else:
            changed.add(id(stmt))
    bindings = body_bindings(new, in_class)
    return [(s, names, id(s) in changed) for s, names in zip(new, bindings, strict=True)]


def all_bound(body: list[ast.stmt], in_class: bool = False) -> Counter:
    return Counter(name for names in body_bindings(body, in_class) for name in names)


def class_members_to_apply(
    old: ast.ClassDef,
    new: ast.ClassDef,
    lines: tuple[list[str], list[str]],
    deep: bool,
    dirty: set[str],
) -> set[str]:
    """Class-body names whose statement changed or read something that changed
    (``dirty``: module-level names whose values changed in this reload)."""
    dirty = set(dirty)
    apply: set[str] = set()
    for stmt, names, changed in plan_body(old.body, new.body, lines, deep, in_class=True):
        if changed or eager_reads(stmt) & dirty:
            apply |= names
            if not isinstance(stmt, (*DEFS, ast.ClassDef)):
                dirty |= names  # a def keeps its identity, so readers need not rerun
    return apply


class ModuleReload:
    """One attempt at bringing ``module`` up to ``new_tree``; ``run`` raises on failure."""

    def __init__(
        self,
        module: types.ModuleType,
        path: str,
        old_tree: ast.Module,
        new_tree: ast.Module,
        new_code: types.CodeType | None,  # None when the text did not change
        texts: tuple[str, str],
        deep: bool = False,
        seed: set[str] = frozenset(),  # type: ignore[assignment]
        removed_defs: dict[str, tuple[Any, ast.stmt]] | None = None,
    ) -> None:
        self.module, self.path, self.deep = module, path, deep
        self.removed_defs = removed_defs or {}
        # Where closures made earlier by a changed function may live besides this
        # module's globals (__main__, other user modules); walked only when needed.
        self.other_namespaces: Callable[[], list[dict[str, Any]]] = list
        self.factory_changed = False
        self.lines = (texts[0].splitlines(keepends=True), texts[1].splitlines(keepends=True))
        self.globals: dict[str, Any] = module.__dict__
        self.old_tree, self.new_tree, self.new_code = old_tree, new_tree, new_code
        self.flags = future_flags(new_tree)
        self.log = UndoLog()
        self.snapshot = dict(self.globals)
        self.changes = Changes()
        # Names whose values changed already (rebound from-imports): readers rerun.
        self.dirty: set[str] = set(seed)
        self.moved = texts[0] != texts[1]
        self.protected: set[str] = set()  # never deleted: the user rebound them since
        old_counts, new_counts = all_bound(old_tree.body), all_bound(new_tree.body)
        self.single = {n for n, c in new_counts.items() if c == 1 and old_counts.get(n, 0) <= 1}
        self.deleted = set(old_counts) - set(new_counts) - {"*"}
        self.old_defs = {s.name: s for s in old_tree.body if isinstance(s, (*DEFS, ast.ClassDef))}

    # -- driving -------------------------------------------------------------------
    def run(self) -> Changes:
        for name in sorted(self.deleted):
            self._delete(name)
        if self.moved or self.deep:
            plan = plan_body(self.old_tree.body, self.new_tree.body, self.lines, self.deep)
        else:  # same text: only statements reading rebound (seed) names run again
            body = self.new_tree.body
            plan = [(s, n, False) for s, n in zip(body, body_bindings(body), strict=True)]
        for stmt, names, changed in plan:
            if changed or (self.dirty and eager_reads(stmt) & self.dirty):
                self._run_statement(stmt, names)
        if self.moved and self.new_code is not None:
            self._refresh_positions()
        return self.changes

    def rollback(self) -> None:
        self.globals.clear()
        self.globals.update(self.snapshot)
        self.log.rollback()

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

    def _exec(self, stmt: ast.stmt, local: dict[str, Any] | None = None) -> None:
        tree = ast.Module(body=[stmt], type_ignores=[])
        code = compile(tree, self.path, "exec", flags=self.flags, dont_inherit=True)
        exec(code, self.globals, local)

    def _defined_here(self, value: object, name: str) -> bool:
        """Only objects this module made keep their identity (not imported ones)."""
        if isinstance(value, type):
            return value.__module__ == self.module.__name__
        if isinstance(value, types.FunctionType) and value.__code__.co_filename == self.path:
            return True
        return find_raw_function(value, name, self.path) is not None

    # -- one statement -------------------------------------------------------------
    def _run_statement(self, stmt: ast.stmt, names: set[str]) -> None:
        name = getattr(stmt, "name", None)
        if name in self.removed_defs and name not in self.snapshot and self._restore(name, stmt):
            return
        was = self.snapshot.get(name, MISSING) if name else MISSING
        old_stmt = self.old_defs.get(name) if name else None
        patchable = name in self.single and self._defined_here(was, name)
        if patchable and isinstance(stmt, ast.ClassDef) and isinstance(old_stmt, ast.ClassDef):
            if isinstance(was, type):
                return self._patch_class(was, old_stmt, stmt)
        if patchable and isinstance(stmt, DEFS) and isinstance(old_stmt, DEFS):
            raw = self._raw_function(was, old_stmt, stmt)
            if raw is not None:
                return self._patch_function(was, raw, old_stmt, stmt)
        self._exec(stmt)
        self._reconcile(stmt, names)

    def _raw_function(
        self, was: object, old_stmt: ast.stmt, stmt: ast.stmt
    ) -> types.FunctionType | None:
        """The plain function inside ``was`` to patch, if the decorators are unchanged.

        Decorators are never re-applied; a changed decorator list means the
        statement runs again instead.
        """
        if stmt_key_list(old_stmt.decorator_list) != stmt_key_list(stmt.decorator_list):
            return None
        return find_raw_function(was, stmt.name, self.path)

    def _restore(self, name: str, stmt: ast.stmt) -> bool:
        """Bring back the def or class an earlier reload removed, as the same object.

        False when the new definition is not a compatible version of the old
        one (another kind, other bases or decorators): it is then a new object.
        """
        was, old_stmt = self.removed_defs[name]
        if name not in self.single or type(old_stmt) is not type(stmt):
            return False
        if isinstance(stmt, ast.ClassDef):
            try:
                check_class_change(was, old_stmt, stmt, self.dirty)
            except Unsafe:
                return False
            self.globals[name] = was
            self._patch_class(was, old_stmt, stmt)
        else:
            raw = self._raw_function(was, old_stmt, stmt)
            if raw is None:
                return False
            self.globals[name] = was
            self._patch_function(was, raw, old_stmt, stmt)
        self.changes.restored.add(name)
        self.changes.described.append((name, "restored"))
        return True

    def _patch_function(
        self, was: object, raw: types.FunctionType, old_stmt: ast.stmt, stmt: ast.stmt
    ) -> None:
        # Decorators are not re-applied: a registration is not repeated and a
        # decorator's state (lru cache, dispatch registry) stays with the old object.
        bare = copy.copy(stmt)
        # Identity decorators in their places keep co_firstlineno on the first one.
        bare.decorator_list = [  # type: ignore[attr-defined]
            ast.copy_location(ast.Name(id=_IDENTITY, ctx=ast.Load()), d)
            for d in stmt.decorator_list  # type: ignore[attr-defined]
        ]
        scratch: dict[str, Any] = {_IDENTITY: _identity}
        self._exec(bare, scratch)
        defaults = raw.__defaults__, raw.__kwdefaults__
        new = scratch[raw.__code__.co_name]
        self._check_inner_closures(raw.__code__, new.__code__)
        patch_function(raw, new, self.log, keep_state=True)
        if self._same_defaults(old_stmt, stmt):
            # ``def f(x, seen={})``: an unchanged default keeps the state it gathered.
            raw.__defaults__, raw.__kwdefaults__ = defaults
        clear_caches(was)
        self.changes.described.append((raw.__code__.co_name, "changed"))

    def _check_inner_closures(self, old: types.CodeType, new: types.CodeType) -> None:
        """A nested function whose free variables change is refused outright.

        Closures it already made (held anywhere: finding them all would take a
        heap scan) could not take the new code, so applying the edit would leave
        them silently stale.
        """
        before, after = nested_freevars(old), nested_freevars(new)
        if after:
            self.factory_changed = True
        for name, freevars in after.items():
            if name in before and before[name] != freevars:
                raise Unsafe(f"{name}: closure free variables changed")

    def _same_defaults(self, old: ast.stmt, new: ast.stmt) -> bool:
        def parts(stmt: ast.stmt) -> list[ast.expr | None]:
            args = stmt.args  # type: ignore[attr-defined]
            return [*args.defaults, *args.kw_defaults]

        new_parts = [p for p in parts(new) if p is not None]
        reads = set().union(*(eager_reads(ast.Expr(value=p)) for p in new_parts))
        same = [stmt_key(p) if p else "" for p in parts(old)] == [
            stmt_key(p) if p else "" for p in parts(new)
        ]
        return same and not reads & self.dirty

    def _patch_class(self, cls: type, old_stmt: ast.ClassDef, stmt: ast.ClassDef) -> None:
        check_class_change(cls, old_stmt, stmt, self.dirty)
        namespace = self._class_namespace(cls, stmt)
        apply = class_members_to_apply(old_stmt, stmt, self.lines, self.deep, self.dirty)
        removed = set(all_bound(old_stmt.body, True)) - set(all_bound(stmt.body, True))
        dunders = {n for n in removed if n.startswith("__") and n.endswith("__")}
        if stmt.decorator_list and dunders:
            raise Unsafe(f"{cls.__qualname__}: {min(dunders)} removed from a decorated class")
        before = set(cls.__dict__)
        for nested in self._nested_classes(cls, old_stmt, stmt, apply):
            apply.discard(nested)
            namespace.pop(nested, None)
        patch_class(cls, namespace, apply, removed, self.log)
        _imply_hash(cls, stmt)
        for member in sorted(apply - {"__annotations__"}):
            verb = "changed" if member in before else "added"
            self.changes.described.append((f"{cls.__qualname__}.{member}", verb))
        for member in sorted(removed & before):
            self.changes.described.append((f"{cls.__qualname__}.{member}", "removed"))

    def _nested_classes(
        self, cls: type, old_stmt: ast.ClassDef, stmt: ast.ClassDef, apply: set[str]
    ) -> list[str]:
        """Patch changed nested classes in place too; returns the names handled."""
        old_nested = {s.name: s for s in old_stmt.body if isinstance(s, ast.ClassDef)}
        handled = []
        for sub in stmt.body:
            target = cls.__dict__.get(getattr(sub, "name", ""))
            old_sub = old_nested.get(getattr(sub, "name", ""))
            if isinstance(sub, ast.ClassDef) and sub.name in apply and old_sub is not None:
                if isinstance(target, type) and target.__qualname__.startswith(cls.__qualname__):
                    self._patch_class(target, old_sub, sub)
                    handled.append(sub.name)
        return handled

    def _class_namespace(self, cls: type, stmt: ast.ClassDef) -> dict[str, Any]:
        """Run just the class body: no metaclass call, no decorators, no __init_subclass__."""
        tree = ast.Module(body=[stmt], type_ignores=[])
        code = compile(tree, self.path, "exec", flags=self.flags, dont_inherit=True)
        body = next(
            (c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == stmt.name),
            None,
        )
        if body is None or body.co_freevars:
            raise Unsafe(f"{stmt.name}: generic class syntax cannot be patched in place")
        namespace = type(cls).__prepare__(stmt.name, cls.__bases__)
        exec(body, self.globals, namespace)
        return namespace

    def _reconcile(self, stmt: ast.stmt, names: set[str]) -> None:
        """After a statement ran: keep identities of functions/classes, note what changed."""
        for name in sorted(names - {"*"}):
            was, now = self.snapshot.get(name, MISSING), self.globals.get(name, MISSING)
            if was is now:
                continue
            # A class never gets a second object, even for a name bound twice.
            single = name in self.single or isinstance(was, type)
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
        if isinstance(was, type):
            if not isinstance(now, type):
                return False
            old_fields, new_fields = getattr(was, "_fields", None), getattr(now, "_fields", None)
            if old_fields is not None and old_fields == new_fields:
                return True  # an equivalent namedtuple built again: keep the old class
            reason = "NamedTuple fields changed" if old_fields is not None else "class rebuilt"
            raise Unsafe(f"{name}: {reason}")
        if patch_in_place(was, now, self.log):
            return True
        if isinstance(stmt, DEFS):
            kinds = f"{type(was).__name__} -> {type(now).__name__}"
            raise Unsafe(f"{name}: decorator changed the kind of object ({kinds})")
        return False

    # -- line numbers ----------------------------------------------------------------
    def _refresh_positions(self) -> None:
        """Unchanged code whose lines moved gets the new positions (true tracebacks)."""
        index = code_index(self.new_code)
        seen: set[int] = set()
        namespaces = [self.globals]
        if self.factory_changed:
            namespaces += self.other_namespaces()
        for namespace in namespaces:
            for value in list(namespace.values()):
                self._refresh(value, index, seen)
                if self.factory_changed:
                    for item in _small_container_items(value):
                        self._refresh(item, index, seen)

    def _refresh(self, obj: object, index: dict, seen: set[int]) -> None:
        if id(obj) in seen or len(seen) > 100_000:
            return
        seen.add(id(obj))
        if isinstance(obj, type):
            if obj.__module__ == self.module.__name__:
                for member in list(obj.__dict__.values()):
                    self._refresh(member, index, seen)
            return
        for attr in ("__wrapped__", "__func__", "fget", "fset", "fdel"):
            inner = getattr(obj, attr, None)
            if inner is not None:
                self._refresh(inner, index, seen)
        if isinstance(obj, types.FunctionType) and obj.__code__.co_filename == self.path:
            self._refresh_function(obj, index)

    def _refresh_function(self, fn: types.FunctionType, index: dict) -> None:
        """Give ``fn`` its code from the new file: new positions, or new code for a
        closure made earlier by a function that changed (``P = make()``)."""
        key = tuple(p for p in fn.__qualname__.split(".") if p != "<locals>")
        if key[-1] != fn.__code__.co_name:
            return  # a wrapper renamed by functools.wraps: not the code of that name
        candidates = index.get(key, ())
        if any(c is fn.__code__ for c in candidates):
            return
        new = next((c for c in candidates if same_shape(c, fn.__code__)), None)
        if new is None and len(candidates) == 1:
            new = candidates[0]
            if new.co_freevars != fn.__code__.co_freevars:
                raise Unsafe(f"{fn.__qualname__}: closure free variables changed")
            self.changes.described.append((fn.__qualname__, "changed"))
        if new is not None and self.log.save_function(fn):
            fn.__code__ = new


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


def nested_freevars(code: types.CodeType, prefix: str = "") -> dict[str, tuple[str, ...]]:
    """Qualified name -> free variables, for every function nested in ``code``."""
    found: dict[str, tuple[str, ...]] = {}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            name = f"{prefix}{const.co_name}"
            found[name] = const.co_freevars
            found.update(nested_freevars(const, name + "."))
    return found


_CONTAINER_LIMIT = 1000  # a bigger container is data, not a registry of callbacks


def _small_container_items(value: object) -> list[object]:
    """The items of a small list, tuple, set or dict (values): registries of closures."""
    if isinstance(value, dict):
        return list(value.values()) if len(value) <= _CONTAINER_LIMIT else []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value) if len(value) <= _CONTAINER_LIMIT else []
    return []


def stmt_key_list(nodes: list[ast.expr]) -> list[str]:
    return [stmt_key(n) for n in nodes]


def _keyword(node: ast.ClassDef, name: str) -> str:
    return "".join(stmt_key(k) for k in node.keywords if k.arg == name)


def _statements(node: ast.ClassDef, want) -> list[str]:
    return [stmt_key(s) for s in node.body if want(s)]


def _is_field(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.AnnAssign)


def _is_member(stmt: ast.stmt) -> bool:
    return not isinstance(stmt, (*DEFS, ast.ClassDef)) and not is_docstring(stmt)


def _binds_slots(stmt: ast.stmt) -> bool:
    return "__slots__" in bound_names(stmt)


def check_class_change(cls: type, old: ast.ClassDef, new: ast.ClassDef, dirty: set[str]) -> None:
    """Raise Unsafe if patching the class body in place would leave wrong objects behind."""
    name = cls.__qualname__
    header = [*new.bases, *new.decorator_list, *(k.value for k in new.keywords)]
    rebuilt = set().union(*(eager_reads(ast.Expr(value=e)) for e in header)) & dirty
    checks = [
        (
            stmt_key_list(old.decorator_list) != stmt_key_list(new.decorator_list),
            "class decorators changed",
        ),
        (_keyword(old, "metaclass") != _keyword(new, "metaclass"), "metaclass changed"),
        (
            stmt_key_list(old.bases) != stmt_key_list(new.bases) or bool(rebuilt),
            "base classes changed",
        ),
        (stmt_key_list(old.keywords) != stmt_key_list(new.keywords), "class keywords changed"),
        (_statements(old, _binds_slots) != _statements(new, _binds_slots), "__slots__ changed"),
    ]
    fields_changed = _statements(old, _is_field) != _statements(new, _is_field)
    if "__dataclass_fields__" in cls.__dict__:
        checks.append((fields_changed, "dataclass fields changed"))
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        checks.append((fields_changed, "NamedTuple fields changed"))
    if isinstance(cls, enum.EnumMeta):
        checks.append(
            (_statements(old, _is_member) != _statements(new, _is_member), "enum members changed")
        )
    for failed, reason in checks:
        if failed:
            raise Unsafe(f"{name}: {reason}")
