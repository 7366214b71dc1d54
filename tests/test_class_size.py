"""No class in src/freshrepl over 250 lines (the house rule: short classes, one job each)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "freshrepl"
LIMIT = 250



def class_sizes() -> dict[str, int]:
    sizes = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno is not None
                sizes[f"{path.relative_to(SRC)}:{node.name}"] = node.end_lineno - node.lineno + 1
    return sizes


def test_no_class_is_over_the_limit():
    over = {name: size for name, size in class_sizes().items()
            if size > LIMIT}
    assert not over, f"classes over {LIMIT} lines: {over}"
