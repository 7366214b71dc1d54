"""Project cases: a FastAPI app (path and query parameters, a pydantic body, a dependency, a
router), every request through its ``TestClient`` made before the edit.

FastAPI reads an endpoint's signature when the route is declared (which
parameters come from the path, the query, the body); an edit of a body must
be served as written, an edit of a signature either re-declared as a fresh
process would or refused.
"""

from __future__ import annotations

from .case import Case, Group

API = """
from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi.middleware.gzip import GZipMiddleware
from pydantic import BaseModel

app = FastAPI()
router = APIRouter(prefix="/users")
STOCK = {1: "apple", 2: "pear"}


class Order(BaseModel):
    item: int
    quantity: int = 1


def page_size(limit: int = 10):
    return min(limit, 50)


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str = ""):
    if item_id not in STOCK:
        raise HTTPException(status_code=404, detail="no such item")
    return {"id": item_id, "name": STOCK[item_id], "q": q}


@app.get("/items")
def list_items(size: int = Depends(page_size)):
    return {"names": sorted(STOCK.values())[:size], "size": size}


@app.post("/orders")
def order(body: Order):
    return {"item": STOCK[body.item], "total": body.quantity * 2}


@router.get("/{name}")
def user(name: str):
    return {"user": name.title()}


app.include_router(router)
"""
SETUP = """
from fastapi.testclient import TestClient
import m
client = TestClient(m.app)
client.get("/items/1").status_code
"""


def _get(path: str) -> str:
    return f"(lambda r: (r.status_code, r.json()))(client.get({path!r}))"


def _post(path: str, body: dict) -> str:
    return f"(lambda r: (r.status_code, r.json()))(client.post({path!r}, json={body!r}))"


PROBES = [_get("/items/1?q=x"), _get("/items/9"), _get("/items?limit=1"),
          _post("/orders", {"item": 2, "quantity": 3}), _get("/users/ann")]

api = Group("fastapi", API, SETUP)

CASES: list[Case] = [
    api.edit("endpoint_body", '"q": q}', '"q": q.upper()}', PROBES, must_apply=True),
    api.edit("exception_detail", 'detail="no such item"', 'detail="unknown item"', PROBES,
             must_apply=True),
    api.edit("dependency_body", "min(limit, 50)", "min(limit, 1) + 1", PROBES, must_apply=True),
    api.edit("dependency_default", "def page_size(limit: int = 10):",
             "def page_size(limit: int = 1):", [*PROBES, _get("/items")]),
    api.edit("router_endpoint_body", "name.title()", "name.upper()", PROBES, must_apply=True),
    api.edit("module_constant", '2: "pear"}', '2: "pear", 3: "fig"}',
             [*PROBES, _get("/items/3")]),
    api.edit("query_default", 'q: str = ""', 'q: str = "none"', [*PROBES, _get("/items/2")]),
    api.edit("query_parameter_added", 'def read_item(item_id: int, q: str = ""):',
             'def read_item(item_id: int, q: str = "", loud: bool = False):',
             [*PROBES, _get("/items/2?loud=true")]),
    api.edit("body_model_field_added", "    quantity: int = 1\n",
             "    quantity: int = 1\n    note: str = \"\"\n",
             [*PROBES, _post("/orders", {"item": 1, "note": "x"})]),
    api.edit("body_model_default", "quantity: int = 1", "quantity: int = 4",
             [*PROBES, _post("/orders", {"item": 1})]),
    api.edit("app_constructor_changed", "app = FastAPI()", 'app = FastAPI(title="Shop")',
             [*PROBES, 'client.get("/openapi.json").json()["info"]["title"]']),
    api.edit("middleware_added_after_start", "app.include_router(router)\n",
             "app.include_router(router)\n"
             "app.add_middleware(GZipMiddleware, minimum_size=10)\n",
             [*PROBES, 'client.get("/items/1").headers.get("content-encoding")'], restart=True),
    api.edit("route_added", "\n\n@router.get",
             '\n\n@app.get("/health")\ndef health():\n    return {"ok": True}\n\n\n@router.get',
             [_get("/health"), *PROBES]),
    api.edit("route_path_changed", '@app.get("/items/{item_id}")',
             '@app.get("/item/{item_id}")', [_get("/item/1"), *PROBES]),
]

PRELOAD = ["fastapi", "fastapi.testclient", "starlette.testclient", "httpx", "pydantic",
           "anyio"]
