"""One differential case: module files, an edit of them, setup inputs and probes; laid out on disk.

A case names its modules by short names (``m``, ``deco``); ``materialize``
gives them names unique to one run (``m__c7_pydantic_field_added``) so that
one kernel can serve many cases without one case's modules meeting another's.
Only import statements are rewritten (``import m`` becomes ``import
m__c7_... as m``), so the code reads the same and keeps its line numbers.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Change:
    """Replace ``old`` (which must occur exactly once) by ``new`` in one file."""

    old: str
    new: str
    file: str = "m.py"


@dataclass
class Case:
    """A module (or a few), an edit, and what to observe through references made before it.

    ``setup`` is typed at the kernel's prompt, one top-level statement per
    input (so ``from m import f`` is seen as the user's binding), and run the
    same way in the fresh interpreter.  ``probes`` are expressions evaluated
    in ``__main__``; each result (repr, or exception type and message) after
    the edit is compared with a fresh interpreter that ran the same setup
    against the edited files.  A probe must therefore only ask what a fresh
    process would answer the same way: behaviour of the edited code, never
    state an old instance legitimately keeps from before the edit.
    """

    name: str
    files: dict[str, str]  # file name (``m.py``) -> source before the edit
    changes: list[Change]
    setup: str
    probes: list[str]
    # Informational: a method-body style edit the engine must apply, not refuse.
    must_apply: bool = False
    # Informational: an edit a fresh process runs but the live one cannot (a framework
    # forbids it after first use); the honest outcome is a refusal offering the restart.
    restart: bool = False
    note: str = ""
    # The files after the edit, for edits made by position rather than by ``changes``.
    edited: dict[str, str] = field(default_factory=dict)

    def edited_files(self) -> dict[str, str]:
        """The files after the edit (only the ones that change)."""
        edited: dict[str, str] = dict(self.edited)
        for change in self.changes:
            text = edited.get(change.file, self.files[change.file])
            count = text.count(change.old)
            if count != 1:
                raise ValueError(f"{self.name}: {change.old!r} occurs {count} times in {change.file}")
            edited[change.file] = text.replace(change.old, change.new)
        return edited

    def missing_library(self) -> str | None:
        """A library the case imports that this interpreter lacks (the case cannot run)."""
        own = {name.removesuffix(".py") for name in self.files}
        for source in [*self.files.values(), self.setup]:
            for top in _imported(source):
                if top not in own and importlib.util.find_spec(top) is None:
                    return top
        return None


@functools.lru_cache(maxsize=64)
def _imported(source: str) -> tuple[str, ...]:
    """The top-level package names ``source`` imports (generated cases share one text)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module.split(".")[0])
    return tuple(dict.fromkeys(found))

def case(name: str, source: str | dict[str, str], changes: Change | list[Change], setup: str,
         probes: list[str], **extra: object) -> Case:
    """A case with dedented sources; a plain string ``source`` is module ``m.py``."""
    files = {"m.py": source} if isinstance(source, str) else dict(source)
    files = {k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()}
    changes = [changes] if isinstance(changes, Change) else list(changes)
    return Case(name, files, changes, textwrap.dedent(setup).strip() + "\n", list(probes),
                **extra)  # type: ignore[arg-type]


def change(old: str, new: str, file: str = "m.py") -> Change:
    return Change(old, new, file)


class Group:
    """Cases that share one project (its files and setup), each one edit of it.

    ``Group("flask", FILES, SETUP).edit("view_body", old, new, probes)`` is the
    case ``flask.view_body``; ``file`` names the file the edit is in.
    """

    def __init__(self, prefix: str, source: str | dict[str, str], setup: str,
                 file: str = "m.py") -> None:
        self.prefix = prefix
        self.source = source
        self.setup = setup
        self.file = file

    def edit(self, name: str, old: str, new: str, probes: list[str], file: str | None = None,
             **extra: object) -> Case:
        return case(f"{self.prefix}.{name}", self.source, change(old, new, file or self.file),
                    self.setup, probes, **extra)


@dataclass
class Layout:
    """A case written to disk: its directory, renamed modules, texts before and after."""

    directory: Path
    modules: dict[str, str]  # short name -> unique module name
    before: dict[Path, str]
    after: dict[Path, str]  # only the files the edit changes
    setup: list[str] = field(default_factory=list)  # one top-level statement each
    setup_names: set[str] = field(default_factory=set)  # names the setup binds in __main__

    def write_before(self) -> None:
        for path, text in self.before.items():
            path.write_text(text, encoding="utf-8")

    def write_after(self) -> None:
        for path, text in self.after.items():
            path.write_text(text, encoding="utf-8")

    def write_partial(self, kept: set[str]) -> None:
        """The edit minus the files of the modules in ``kept`` (those go back as they were)."""
        for path, text in self.after.items():
            path.write_text(self.before[path] if path.stem in kept else text, encoding="utf-8")

    def changed_paths(self) -> list[str]:
        return [str(p) for p in self.after]

    def changed_modules(self) -> list[str]:
        return [p.stem for p in self.after]  # a file is named after its unique module


def slug(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_")


def materialize(case_: Case, root: Path, serial: int) -> Layout:
    """Lay ``case_`` out under ``root`` with module names unique to ``serial``."""
    directory = root / f"c{serial}_{slug(case_.name)}"[:80]
    directory.mkdir(parents=True)
    stems = [name.removesuffix(".py") for name in case_.files]
    modules = {stem: f"{stem}__c{serial}_{slug(case_.name)}"[:100] for stem in stems}
    after = case_.edited_files()

    def place(file: str, text: str) -> tuple[Path, str]:
        try:
            renamed = rename_imports(text, modules)
        except SyntaxError:  # an edit that breaks the file: rename as in the file before it
            renamed = rename_like(text, case_.files[file], modules)
        return directory / f"{modules[file.removesuffix('.py')]}.py", renamed

    layout = Layout(
        directory,
        modules,
        dict(place(f, t) for f, t in case_.files.items()),
        dict(place(f, t) for f, t in after.items()),
    )
    layout.setup = split_statements(rename_imports(case_.setup, modules))
    layout.setup_names = bound_at_top(case_.setup)
    return layout


def rename_imports(text: str, modules: dict[str, str]) -> str:
    """``text`` with imports of the case's modules pointed at their unique names.

    ``import m`` becomes ``import m__x as m`` (the name ``m`` still binds the
    module); ``from m import f`` becomes ``from m__x import f``.  The
    rewritten statement keeps its line count, so positions stay true.
    """
    mention = r"\b(import|from)\s+(" + "|".join(map(re.escape, modules)) + r")\b"
    if not re.search(mention, text):
        return text  # no import of a case module (a copied library module): nothing to parse
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        replacement = _renamed(node, modules)
        if replacement is not None:
            end_line = node.end_lineno or node.lineno
            new_text = ast.unparse(replacement) + "\n" * (end_line - node.lineno)
            edits.append((node.lineno, node.col_offset, end_line, node.end_col_offset or 0,
                          new_text))
    for line, col, end_line, end_col, new_text in sorted(edits, reverse=True):
        start = _offset(lines, line, col)
        stop = _offset(lines, end_line, end_col)
        joined = "".join(lines)
        lines = (joined[:start] + new_text + joined[stop:]).splitlines(keepends=True)
    return "".join(lines)


def _renamed(node: ast.Import | ast.ImportFrom, modules: dict[str, str]) -> ast.stmt | None:
    """The import statement pointed at the unique names, or None if it imports none."""
    if isinstance(node, ast.Import) and any(a.name in modules for a in node.names):
        return ast.Import(names=[
            ast.alias(modules[a.name], a.asname or a.name) if a.name in modules else a
            for a in node.names
        ])
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in modules:
        return ast.ImportFrom(module=modules[node.module], names=node.names, level=0)
    return None


def rename_like(text: str, model: str, modules: dict[str, str]) -> str:
    """Rename imports in ``text`` (which need not parse) line by line, as in ``model``."""
    pairs = zip(model.splitlines(keepends=True),
                rename_imports(model, modules).splitlines(keepends=True), strict=True)
    renamed = {old: new for old, new in pairs if old != new}
    return "".join(renamed.get(line, line) for line in text.splitlines(keepends=True))


def _offset(lines: list[str], line: int, byte_col: int) -> int:
    """Character offset in the joined text of an AST position (columns count UTF-8 bytes)."""
    before = sum(len(x) for x in lines[: line - 1])
    return before + len(lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8"))


def split_statements(source: str) -> list[str]:
    """Top-level statements as separate console inputs (blank lines inside dropped:
    at the prompt a blank line would end a compound statement)."""
    lines = source.splitlines(keepends=True)
    inputs = []
    for stmt in ast.parse(source).body:
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
        chunk = lines[first - 1 : stmt.end_lineno]
        inputs.append("".join(line for line in chunk if line.strip()))
    return inputs


def bound_at_top(source: str) -> set[str]:
    """Names the top-level statements of ``source`` bind (to clear them afterwards)."""
    names: set[str] = set()
    for stmt in ast.parse(source).body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
        else:
            names.update(n.id for n in ast.walk(stmt)
                         if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names
