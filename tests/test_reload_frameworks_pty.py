"""End-to-end with real frameworks: a Flask views module (which imports ``request``)
reloads a view body in place; changed code the live process cannot run (a route added
after the app served a request) is offered the restart, which serves it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

QUESTION = re.compile(r"Restart the kernel and replay \d+ inputs?( \([0-9–]+\))?\? \[Y/n\]")

pytest.importorskip("flask")


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text))


def edit_and_wait(term, path: Path, text: str, what: str | re.Pattern[str]) -> str:
    mark = term.mark()
    write(path, text)
    return term.wait_for(what, after=mark)[mark:]


VIEWS = """\
from flask import Flask, g, request, session

app = Flask(__name__)

@app.route("/hello")
def hello():
    return "hello " + request.args.get("name", "nobody")
"""


def test_flask_view_using_request_reloads_in_place(spawn, project):
    write(project / "shop.py", VIEWS)
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("from shop import app")
    term.run("client = app.test_client()")
    assert term.run("client.get('/hello?name=ann').get_data(as_text=True)") == "'hello ann'"
    edited = VIEWS.replace('"hello "', '"howdy "')
    text = edit_and_wait(term, project / "shop.py", edited, "reloaded shop")
    assert "hello changed" in text and "not reloaded" not in text
    term.wait_idle()
    assert term.run("client.get('/hello?name=bob').get_data(as_text=True)") == "'howdy bob'"
    assert term.run("app.test_client().get('/hello').get_data(as_text=True)") == "'howdy nobody'"


def test_route_added_after_a_request_asks_and_yes_serves_it(spawn, project):
    write(project / "web.py", VIEWS)
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import web")
    assert term.run("web.app.test_client().get('/hello').status_code") == "200"
    added = VIEWS + '''
@app.route("/new")
def new():
    return "brand new"
'''
    text = edit_and_wait(term, project / "web.py", added, QUESTION)
    assert "cannot reload web: web.py:9: AssertionError: The setup method 'route'" in text
    term.send("y")
    term.wait_for("replayed", after=0)
    term.wait_idle()
    assert term.run("web.app.test_client().get('/new').get_data(as_text=True)") == "'brand new'"


def test_route_added_answer_no_keeps_old_module_stale(spawn, project):
    write(project / "web.py", VIEWS)
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import web")
    term.run("web.app.test_client().get('/hello').status_code")
    added = VIEWS + '\n@app.route("/new")\ndef new():\n    return "brand new"\n'
    edit_and_wait(term, project / "web.py", added, QUESTION)
    term.send("n")
    term.wait_idle()
    assert term.run("web.app.test_client().get('/new').status_code") == "404"
    assert term.run("hasattr(web, 'new')") == "False"
    assert re.search(r"web\s+stale\s+web\.py.*AssertionError", term.run(":watch"))


API = """\
from fastapi import Depends, FastAPI

app = FastAPI()

def page_size(limit: int = 10):
    return limit

@app.get("/items")
def items(size: int = Depends(page_size)):
    return {"size": size}
"""


def test_fastapi_dependency_default_asks_and_yes_serves_the_new_one(spawn, project):
    """FastAPI read the dependency's signature when the route was declared: a changed
    default is refused by name (never served stale), and the restart serves it."""
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    write(project / "api.py", API)
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("from fastapi.testclient import TestClient")
    term.run("import api")
    term.run("client = TestClient(api.app)")
    assert term.run("client.get('/items').json()") == "{'size': 10}"
    text = edit_and_wait(term, project / "api.py", API.replace("limit: int = 10", "limit: int = 1"),
                         QUESTION)
    assert re.search(r"cannot reload api: page_size: signature changed, but a\s+fastapi", text), text
    term.send("y")
    term.wait_for("replayed", after=0)
    term.wait_idle()
    assert term.run("client.get('/items').json()") == "{'size': 1}"
