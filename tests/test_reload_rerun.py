"""Changed code that raises when it runs again in the live process: the module stays as it
was and the change is reported unsafe (the restart is offered), naming the exception's
type, its first line and the user's file:line; a file that does not compile stays a
plain failure (the user is mid-edit)."""

from __future__ import annotations

import pytest
from reload_helpers import Workspace

from freshrepl.protocol import FAILED, UNSAFE


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


def rerun(ws: Workspace, name: str, old: str, new: str):
    ws.write(f"{name}.py", old)
    module = ws.load(name)
    before = dict(module.__dict__)
    ws.write(f"{name}.py", new)
    result = ws.reload_one(name)
    assert module.__dict__.keys() == before.keys()
    assert all(module.__dict__[k] is v for k, v in before.items())
    return module, result


def test_flask_route_added_after_first_request_is_unsafe_with_flasks_words(ws):
    pytest.importorskip("flask")
    old = '''\
from flask import Flask

app = Flask(__name__)

@app.route("/")
def index():
    return "index"

app.test_client().get("/")
'''
    new = old + '''
@app.route("/new")
def new():
    return "new"
'''
    module, result = rerun(ws, "web", old, new)
    assert result.status == UNSAFE, result
    assert result.location == "web.py:11"
    assert result.error.startswith(
        "AssertionError: The setup method 'route' can no longer be called on the application."
    )
    assert "\n" not in result.error and "Make sure all imports" not in result.error
    assert result.detail == f"web.py:11: {result.error}"
    assert 'web.py", line 11' in result.traceback
    assert module.app.test_client().get("/new").status_code == 404  # nothing half-applied


def test_exception_named_with_its_module_and_first_line(ws):
    old = "class Rejected(Exception):\n    pass\n\nX = 1\n"
    new = old.replace("X = 1", "X = 2\nraise Rejected('second entry\\nsee the docs')")
    module, result = rerun(ws, "reg", old, new)
    assert result.status == UNSAFE
    assert result.error == "reg.Rejected: second entry"
    assert result.detail == "reg.py:5: reg.Rejected: second entry"
    assert module.X == 1


def test_exception_whose_str_raises_is_named_by_type(ws):
    old = "X = 1\n"
    new = '''\
class Odd(Exception):
    def __str__(self):
        raise RuntimeError("no words")

X = 2
raise Odd()
'''
    _, result = rerun(ws, "odd", old, new)
    assert result.status == UNSAFE and result.error == "odd.Odd" and result.location == "odd.py:6"


def test_interrupt_is_a_plain_failure(ws):
    _, result = rerun(ws, "stop", "X = 1\n", "X = 2\nraise KeyboardInterrupt\n")
    assert result.status == FAILED and result.error == "KeyboardInterrupt"


def test_mid_edit_syntax_error_stays_a_failure(ws):
    _, result = rerun(ws, "half", "def f():\n    return 1\n", "def f():\n    return (\n")
    assert result.status == FAILED and result.error.startswith("SyntaxError")
    _, result = rerun(ws, "half2", "def f():\n    return 1\n", "def f():\n  return 1\n    x = 2\n")
    assert result.status == FAILED and result.error.startswith("IndentationError")


def test_sqlalchemy_table_defined_again_is_unsafe(ws):
    """A registry that rejects a second entry: the live MetaData has the table already."""
    pytest.importorskip("sqlalchemy")
    old = '''\
from sqlalchemy import Column, Integer, MetaData, Table

metadata = MetaData()
users = Table("users", metadata, Column("id", Integer, primary_key=True))
'''
    new = old.replace('primary_key=True))', 'primary_key=True), Column("age", Integer))')
    module, result = rerun(ws, "tables", old, new)
    assert result.status == UNSAFE, result
    assert result.location == "tables.py:4"
    assert result.error.startswith("sqlalchemy.exc.InvalidRequestError: Table 'users' is already defined")
    assert [c.name for c in module.users.columns] == ["id"]


def test_flask_blueprint_registered_after_a_request_is_unsafe(ws):
    pytest.importorskip("flask")
    old = '''\
from flask import Blueprint, Flask

app = Flask(__name__)
app.test_client().get("/")
'''
    new = old + '''
shop = Blueprint("shop", __name__)
app.register_blueprint(shop)
'''
    module, result = rerun(ws, "bp", old, new)
    assert result.status == UNSAFE and result.location == "bp.py:7", result
    assert result.error.startswith("AssertionError: The setup method 'register_blueprint'")
    assert "shop" not in module.app.blueprints


def test_refused_redecoration_puts_the_old_registration_back(ws):
    """A decorator reading a changed constant registers the def again under its name; the
    change is refused, and the registry holds the old function again (not nothing)."""
    old = '''\
REGISTRY = {}
TIMES = 1

def command(times):
    def register(fn):
        REGISTRY[fn.__name__] = fn
        return fn
    return register

@command(TIMES)
def hello():
    return "hello"
'''
    ws.write("cmds.py", old)
    module = ws.load("cmds")
    hello = module.hello
    ws.write("cmds.py", old.replace("TIMES = 1", "TIMES = 2"))
    result = ws.reload_one("cmds")
    assert result.status == UNSAFE, result
    assert module.REGISTRY == {"hello": hello} and module.hello is hello
