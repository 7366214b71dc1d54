"""End-to-end: edits of machinery-built classes, decorators and closure factories in a live
shell: a body edit is reloaded in place; what the machinery derives is refused out loud."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

QUESTION = re.compile(r"Restart the kernel and replay \d+ inputs?( \([0-9–]+\))?\? \[Y/n\]")


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text))


def start(spawn, project: Path, name: str, text: str, *inputs: str):
    """Write ``name.py``, start the shell, import it and run the inputs."""
    write(project / f"{name}.py", text)
    term = spawn("-q")
    term.wait_prompt(1)
    term.run(f"import {name}")
    for line in inputs:
        term.run(line)
    return term


def edit_and_wait(term, path: Path, text: str, what: str | re.Pattern[str]) -> str:
    mark = term.mark()
    write(path, text)
    return term.wait_for(what, after=mark)[mark:]


MODELS = """\
from pydantic import BaseModel, field_validator

class User(BaseModel):
    name: str
    age: int = 0

    @field_validator("name")
    @classmethod
    def clean(cls, v):
        return v.strip()
"""


def test_pydantic_validator_body_reloads_and_new_field_is_refused(spawn, project):
    term = start(spawn, project, "models", MODELS, "u = models.User(name=' ann ')")
    edited = MODELS.replace("return v.strip()", "return v.strip().title()")
    text = edit_and_wait(term, project / "models.py", edited, "reloaded models")
    assert "User.clean" in text
    term.wait_idle()
    assert term.run("models.User(name=' bob ').name") == "'Bob'"
    assert term.run("type(u) is models.User") == "True"

    with_email = edited.replace("    age: int = 0\n", '    age: int = 0\n    email: str = "none"\n')
    text = edit_and_wait(term, project / "models.py", with_email, QUESTION)
    assert "cannot reload models" in text and "User.email" in text and "field added" in text
    term.send("y")
    term.wait_for("replayed", after=0)
    term.wait_idle()
    assert term.run("models.User(name='bob', email='b@x').email") == "'b@x'"


ATTRS = """\
import attrs

@attrs.define
class Box:
    size: int = 1

    def area(self):
        return self.size * self.size
"""


def test_attrs_method_reloads_and_default_edit_is_refused(spawn, project):
    term = start(spawn, project, "boxes", ATTRS, "b = boxes.Box(3)")
    edited = ATTRS.replace("self.size * self.size", "self.size * 100")
    edit_and_wait(term, project / "boxes.py", edited, "reloaded boxes")
    term.wait_idle()
    assert term.run("b.area()") == "300"

    text = edit_and_wait(term, project / "boxes.py", edited.replace("size: int = 1", "size: int = 2"), QUESTION)
    assert "cannot reload boxes" in text and "Box.size" in text
    term.send("n")
    term.wait_idle()
    assert term.run("boxes.Box().size") == "1"  # kept the old code, as answered
    assert re.search(r"boxes\s+stale", term.run(":watch"))


SQLA = """\
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

class Base(DeclarativeBase):
    pass

class Player(Base):
    __tablename__ = "player"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))

    def shout(self):
        return self.name.upper()
"""


def test_sqlalchemy_column_added_is_refused_and_restart_brings_it(spawn, project):
    term = start(spawn, project, "db", SQLA, "p = db.Player(name='ann')")
    edited = SQLA.replace("    def shout", "    score: Mapped[int] = mapped_column(default=0)\n\n    def shout")
    text = edit_and_wait(term, project / "db.py", edited, QUESTION)
    assert "cannot reload db" in text and "Player.score" in text
    term.send("y")
    term.wait_for("replayed", after=0)
    term.wait_idle()
    assert term.run("'score' in db.Player.__table__.c, p.shout()") == "(True, 'ANN')"


DECO = """\
import functools

def loud(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return ("old", fn(*args))
    return wrapper

@loud
def f(x):
    return x
"""


def test_decorator_wrapper_edit_reaches_functions_decorated_earlier(spawn, project):
    term = start(
        spawn, project, "deco", DECO,
        "from deco import f",
        "@deco.loud\ndef g(x):\n    return -x\n",
        "table = {'g': g}",
    )
    term.wait_idle()
    text = edit_and_wait(term, project / "deco.py", DECO.replace('("old"', '("new"'), "reloaded deco")
    assert "closures of loud updated" in text
    term.wait_idle()
    assert term.run("f(1), table['g'](2)") == "(('new', 1), ('new', -2))"


FACTORY = """\
def make(n):
    def inner():
        return n + 1
    return inner

class Holder:
    def __init__(self):
        self.callback = make(1)
"""


def test_closure_factory_edit_reaches_closures_in_instances_or_is_refused(spawn, project):
    term = start(spawn, project, "fac", FACTORY, "h = fac.Holder()", "kept = [fac.make(10)]")
    edit_and_wait(term, project / "fac.py", FACTORY.replace("n + 1", "n + 100"), "reloaded fac")
    term.wait_idle()
    assert term.run("h.callback(), kept[0]()") == "(101, 110)"

    outer = FACTORY.replace("n + 1", "n + 100").replace("def make(n):\n", "def make(n):\n    n = n * 2\n")
    text = edit_and_wait(term, project / "fac.py", outer, QUESTION)
    assert "cannot reload fac" in text and "closures it made earlier" in text
    term.send("n")
    term.wait_idle()
    assert term.run("h.callback()") == "101"
