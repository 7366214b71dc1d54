"""The reload engine's shape: refusals decided only in ``rules`` (per-event rule lists, so
a new rule is one entry), ``apply`` and ``classes`` independent of each other, nothing
imported from ``kernel/``, and no import cycle inside ``reload/`` (imports inside
functions and under TYPE_CHECKING count)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from reload_helpers import Workspace

from freshrepl.protocol import RELOADED, UNSAFE
from freshrepl.reload import rules

RELOAD = Path(__file__).resolve().parent.parent / "src" / "freshrepl" / "reload"
PACKAGE = "freshrepl.reload"


def _imports(path: Path) -> set[str]:
    """Every freshrepl module ``path`` imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("freshrepl"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("freshrepl"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                is_module = (RELOAD / f"{alias.name}.py").exists() and node.module == PACKAGE
                found.add(submodule if is_module else node.module)  # type: ignore[arg-type]
    return found


def _graph() -> dict[str, set[str]]:
    return {f"{PACKAGE}.{p.stem}": _imports(p) for p in RELOAD.glob("*.py") if p.stem != "__init__"}


def test_no_import_cycles_inside_reload():
    graph = _graph()
    inside = {m: {d for d in deps if d in graph} for m, deps in graph.items()}
    assert sum(map(len, inside.values())) > 30  # the graph was read
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for dep in sorted(inside[module]):
            assert state.get(dep) != "open", " -> ".join([*path, module, dep])
            if dep not in state:
                visit(dep, [*path, module])
        state[module] = "done"

    for module in sorted(inside):
        if module not in state:
            visit(module, [])


def test_reload_imports_nothing_from_the_kernel():
    for module, deps in _graph().items():
        assert not [d for d in deps if d.startswith("freshrepl.kernel")], module


def test_apply_and_classes_do_not_import_each_other():
    graph = _graph()
    assert f"{PACKAGE}.classes" in graph[f"{PACKAGE}.apply"]  # the module reload patches classes
    assert f"{PACKAGE}.apply" not in graph[f"{PACKAGE}.classes"]


def test_unsafe_is_made_only_in_rules():
    for path in RELOAD.glob("*.py"):
        if path.stem == "rules":
            continue
        calls = [
            n for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Call) and ast.unparse(n.func).split(".")[-1] == "Unsafe"
        ]
        assert not calls, f"{path.name} makes an Unsafe: {[ast.unparse(c) for c in calls]}"


# -- a new rule is one entry in its event's list --------------------------------------------


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


def test_a_member_rule_is_one_entry(ws, monkeypatch):
    """A framework rule (here: a method named ``setup`` may not change) refuses by being
    appended to MEMBER_RULES; without it the same edit applies."""

    def setup_is_frozen(event: rules.Member) -> str | None:
        if getattr(event.stmt, "name", "") == "setup":
            return f"{event.cls.__qualname__}.setup: frozen by the framework"
        return None

    old = "class App:\n    def setup(self):\n        return 1\n"
    ws.write("app.py", old)
    app = ws.load("app")
    ws.write("app.py", old.replace("return 1", "return 2"))
    monkeypatch.setattr(rules, "MEMBER_RULES", [*rules.MEMBER_RULES, setup_is_frozen])
    result = ws.reload_one("app")
    assert result.status == UNSAFE and result.detail == "App.setup: frozen by the framework"
    assert app.App().setup() == 1
    monkeypatch.undo()
    assert ws.reload_one("app").status == RELOADED and app.App().setup() == 2
