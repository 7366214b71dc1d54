"""End-to-end: the issue's three standard-library cases in a live shell, each answering
as a fresh interpreter does after the edit (a cache that read a changed constant, an
abstract method added to an ABC, a member added to a runtime-checkable Protocol)."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text))


def start(spawn, project: Path, name: str, text: str, *inputs: str):
    write(project / f"{name}.py", text)
    term = spawn("-q")
    term.wait_prompt(1)
    for line in inputs:
        term.run(line)
    return term


def edit_and_wait(term, path: Path, text: str, what: str) -> str:
    mark = term.mark()
    write(path, text)
    text = term.wait_for(what, after=mark)[mark:]
    term.wait_idle()
    return text


CALC = """\
import functools

FACTOR = 2

@functools.cache
def scaled(x):
    return x * FACTOR
"""


def test_cached_function_reading_an_edited_constant(spawn, project):
    term = start(spawn, project, "calc", CALC, "from calc import scaled")
    assert term.run("scaled(3)") == "6"
    text = edit_and_wait(term, project / "calc.py", CALC.replace("FACTOR = 2", "FACTOR = 5"), "reloaded calc")
    assert "FACTOR changed" in text
    assert term.run("scaled(3)") == "15"


SHAPES = """\
from abc import ABC, abstractmethod

class Shape(ABC):
    @abstractmethod
    def area(self): ...

class Sq(Shape):
    def area(self):
        return 1
"""


def test_abstract_method_added_to_an_abc(spawn, project):
    term = start(spawn, project, "shapes", SHAPES, "from shapes import Sq", "s = Sq()")
    added = SHAPES.replace(
        "    def area(self): ...\n", "    def area(self): ...\n\n    @abstractmethod\n    def perimeter(self): ...\n", 1
    )
    text = edit_and_wait(term, project / "shapes.py", added, "reloaded shapes")
    assert "Shape.perimeter added" in text
    assert term.run("Sq.__abstractmethods__") == "frozenset({'perimeter'})"
    assert "TypeError: Can't instantiate abstract class Sq" in term.run("Sq()")


PROTO = """\
from typing import Protocol, runtime_checkable

@runtime_checkable
class Closer(Protocol):
    def close(self): ...

class F:
    def close(self):
        pass
"""


def test_member_added_to_a_runtime_checkable_protocol(spawn, project):
    term = start(spawn, project, "proto", PROTO, "from proto import Closer, F")
    assert term.run("isinstance(F(), Closer)") == "True"
    added = PROTO.replace("    def close(self): ...\n", "    def close(self): ...\n\n    def flush(self): ...\n", 1)
    text = edit_and_wait(term, project / "proto.py", added, "reloaded proto")
    assert "Closer.flush added" in text
    assert term.run("isinstance(F(), Closer)") == "False"
