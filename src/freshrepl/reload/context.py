"""One module's reload as the parts that do it share it: the texts, the namespace, the
undo log, what changed, and running a statement where the module's code runs.

The engine fills a ``ReloadContext`` once per module and per reload; the module
reload (``apply``), the class patch (``classes``) and the function patcher
(``functions``) all take it, so none of them sets attributes on another.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from freshrepl.reload import rules
from freshrepl.reload.analysis import bound_names, code_index, eager_reads, future_flags
from freshrepl.reload.patching import UndoLog
from freshrepl.reload.plan import Changes


def _never(fn: types.FunctionType) -> bool:
    return False


@dataclass
class ReloadContext:
    """Everything about one module's reload that more than one part needs."""

    module: types.ModuleType
    path: str
    old_tree: ast.Module
    new_tree: ast.Module
    new_code: types.CodeType | None  # None when the text did not change
    texts: tuple[str, str]  # old and new source
    deep: bool = False  # ``:reload NAME``: every statement counts as changed
    # Names whose values changed already (rebound from-imports): readers run again.
    dirty: set[str] = field(default_factory=set)
    # Defs and classes an earlier reload removed: (object, statement), to restore.
    removed_defs: dict[str, tuple[Any, ast.stmt]] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)  # never deleted: the user rebound them
    # Is a function used as a decorator in the user's code (a changed one is a decorator edit)?
    is_decorator: Callable[[types.FunctionType], bool] = _never
    log: UndoLog = field(default_factory=UndoLog)
    changes: Changes = field(default_factory=Changes)
    # Where the module's run is: the statement running, its names' last bindings, and
    # the names bound by statements run again so far (see ``as_it_was``).
    position: int = 0
    last_binding: dict[str, int] = field(default_factory=dict)
    ran: set[str] = field(default_factory=set)
    # A class gained or lost members, or an isinstance hook changed: every ABC's remembered
    # answers are reset at the end.
    member_sets_changed: bool = False

    def __post_init__(self) -> None:
        self.globals: dict[str, Any] = self.module.__dict__
        self.snapshot = dict(self.globals)
        self.lines = (self.texts[0].splitlines(keepends=True), self.texts[1].splitlines(keepends=True))
        self.moved = self.texts[0] != self.texts[1]
        self.flags = future_flags(self.new_tree)
        self._index: dict | None = None
        self.log.closures.final = self.final_code
        self.log.closures.is_decorator = self.is_decorator

    # -- running code where the module runs -------------------------------------------------
    def compile_statement(self, stmt: ast.stmt) -> types.CodeType:
        tree = ast.Module(body=[stmt], type_ignores=[])
        return compile(tree, self.path, "exec", flags=self.flags, dont_inherit=True)

    def exec(self, stmt: ast.stmt, local: dict[str, Any] | None = None) -> None:
        exec(self.compile_statement(stmt), self.globals, local)

    def evaluate(self, node: ast.expr, local: dict[str, Any] | None = None) -> object:
        """A decorator expression (a name or attribute), where the code runs."""
        code = compile(ast.Expression(body=node), "<decorator>", "eval")
        return eval(code, self.globals, local)

    def as_it_was(self, reads: ast.stmt) -> dict[str, Any]:
        """The names the running statement reads (those ``reads`` reads), as they were when
        it ran at import, where a later statement rebinds or deletes them (difflib's
        ``del re``): imported ones are imported again; others are gone (refused)."""
        position, last = self.position, self.last_binding
        stale = {n for n in eager_reads(reads) - self.ran if last.get(n, -1) > position}
        scope: dict[str, Any] = {}
        for name in sorted(stale):
            source = self._binding_before(name, position)
            if not isinstance(source, (ast.Import, ast.ImportFrom)):
                rules.refuse_rebound_later(getattr(reads, "name", ""), name)
            self.exec(source, scope)  # the module is in sys.modules
        return scope

    def _binding_before(self, name: str, position: int) -> ast.stmt | None:
        body = self.new_tree.body
        return next((s for s in reversed(body[:position]) if name in bound_names(s)), None)

    def final_code(self, code: types.CodeType) -> types.CodeType:
        """``code``'s twin in the whole file's compile, if any.

        A statement compiled alone can differ in bytecode from the same statement in
        the whole file (3.11 picks other instructions), and closures made before and
        after this reload must share one code object: the whole file's is the one.
        """
        if self.new_code is None:
            return code
        if self._index is None:
            self._index = code_index(self.new_code)
        qualname = getattr(code, "co_qualname", None)  # 3.11+
        if qualname is not None:
            candidates = self._index.get(tuple(p for p in qualname.split(".") if p != "<locals>"), ())
        else:
            candidates = [c for key, codes in self._index.items() if key[-1] == code.co_name for c in codes]
        for twin in candidates:
            if twin.co_firstlineno == code.co_firstlineno and twin.co_freevars == code.co_freevars:
                return twin
        return code
