"""The import graph of src/freshrepl: no cycle, and no module takes another's private names.

Every import counts: at module level, inside functions, under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "freshrepl"

# Edges allowed to close a cycle: none (kept as a named, empty set so a future
# exception has to be written down here, with its reason).
ALLOWED_RELOAD_EDGES: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in (SRC / PACKAGE).rglob("*.py")}


class _Imports(ast.NodeVisitor):
    """The freshrepl modules one module imports, and the private names it takes from them."""

    def __init__(self, name: str, is_package: bool, modules: dict[str, Path]) -> None:
        self.name, self.modules = name, modules
        self.package = name if is_package else name.rpartition(".")[0]
        self.edges: set[str] = set()
        self.private: list[str] = []
        self.aliases: dict[str, str] = {}  # local name -> freshrepl module

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name in self.modules:
                self.edges.add(alias.name)
                if alias.asname:
                    self.aliases[alias.asname] = alias.name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node)
        if base is None or base.split(".")[0] != PACKAGE:
            return
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in self.modules:
                self.edges.add(submodule)
                self.aliases[alias.asname or alias.name] = submodule
                continue
            self.edges.add(base)
            if alias.name.startswith("_") and not alias.name.startswith("__") and base != self.name:
                self.private.append(f"{self.name}: from {base} import {alias.name} (line {node.lineno})")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id in self.aliases:
            target = self.aliases[node.value.id]
            if node.attr.startswith("_") and not node.attr.startswith("__") and target != self.name:
                self.private.append(f"{self.name}: {target}.{node.attr} (line {node.lineno})")
        self.generic_visit(node)

    def _absolute(self, node: ast.ImportFrom) -> str | None:
        if not node.level:
            return node.module
        parts = self.package.split(".")
        if node.level > 1:
            parts = parts[: len(parts) - node.level + 1]
        return ".".join([*parts, *([node.module] if node.module else [])])


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    modules = _modules()
    graph, private = {}, []
    for name, path in modules.items():
        visitor = _Imports(name, path.name == "__init__.py", modules)
        visitor.visit(ast.parse(path.read_text(), str(path)))
        graph[name] = visitor.edges - {name}
        private += visitor.private
    return graph, private


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module (the cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_allowlist_holds_only_reload_internal_edges():
    for source, target in ALLOWED_RELOAD_EDGES:
        assert source.startswith("freshrepl.reload.") and target.startswith("freshrepl.reload."), (
            source, target)


def test_no_import_cycle():
    graph, _ = import_graph()
    for source, target in ALLOWED_RELOAD_EDGES:
        graph[source].discard(target)
    cycles = strongly_connected(graph)
    assert not cycles, "import cycles (function-level and TYPE_CHECKING imports included):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles)


def test_no_module_takes_another_modules_private_names():
    _, private = import_graph()
    assert not private, "private names taken across modules:\n" + "\n".join(private)


def test_the_walker_sees_imports_at_every_depth():
    tree = ast.parse(
        "from __future__ import annotations\n"
        "if TYPE_CHECKING:\n    from freshrepl.shell import loop\n"
        "def f():\n    from freshrepl.protocol import _private\n    import freshrepl.channel as ch\n"
        "    return ch._frame\n"
    )
    modules = {"freshrepl.shell.loop": Path(), "freshrepl.protocol": Path(), "freshrepl.channel": Path()}
    visitor = _Imports("freshrepl.x", False, modules)
    visitor.visit(tree)
    assert visitor.edges == set(modules)
    assert len(visitor.private) == 2
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
