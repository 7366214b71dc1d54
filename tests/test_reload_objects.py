"""No object makes a module unreloadable: the engine looks at user and library objects
statically, so proxies whose lookups raise (werkzeug, Django's lazy settings), proxies
that would run a factory (lazy-object-proxy, wrapt), modules with ``__getattr__`` and
objects whose ``==``, ``hash``, ``bool``, ``repr`` or attribute access raise are left
alone, and the edit around them applies.
"""

from __future__ import annotations

import pytest
from reload_helpers import Workspace

from freshrepl.protocol import RELOADED

# Loaded with this file, before any Workspace: one drops the modules imported during its
# test, and numpy's extension cannot be loaded twice in a process.
for _library in ("numpy", "pandas"):
    try:
        __import__(_library)
    except ImportError:  # the tests that need it skip and say so
        pass


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


def reload_edit(ws: Workspace, name: str, old: str, new: str, main: str = ""):
    """Write and import ``old`` (then run ``main`` at the prompt), save ``new``, reload:
    (module, result)."""
    ws.write(f"{name}.py", old)
    module = ws.load(name)
    if main:
        ws.run_main(main)
    ws.write(f"{name}.py", new)
    return module, ws.reload_one(name)


# Everything a module can hold that bites when looked at; each class's lookups raise.
HOSTILE = '''\
class Boom(Exception):
    pass

class Touchy:
    def __eq__(self, other):
        raise Boom("eq")
    def __hash__(self):
        raise Boom("hash")
    def __bool__(self):
        raise Boom("bool")
    def __repr__(self):
        raise Boom("repr")
    def __getattr__(self, name):
        raise Boom("getattr " + name)

class Hidden:
    def __getattribute__(self, name):
        raise Boom("getattribute " + name)
    @property
    def __class__(self):
        raise Boom("class")

class Caller:
    """Callable, so the engine may look inside it for wrapped functions."""
    def __call__(self):
        return 0
    def __getattr__(self, name):
        raise Boom("getattr " + name)

TOUCHY = Touchy()
HIDDEN = Hidden()
CALLER = Caller()
TABLE = {"t": Touchy()}
'''


def test_flask_request_imported_module_reloads_function_body(ws):
    """The issue's minimal case: werkzeug's proxies raise outside a request."""
    pytest.importorskip("flask")
    head = "from flask import request, g, session, current_app\n\n"
    module, result = reload_edit(ws, "views", head + "def f():\n    return 1\n",
                                 head + "\n\ndef f():\n    return 2\n")
    assert result.status == RELOADED, result
    assert module.f() == 2


def test_flask_view_module_with_app_and_class_reloads(ws):
    pytest.importorskip("flask")
    old = '''\
from flask import Flask, request, g, session, current_app

app = Flask(__name__)

class Greeter:
    who = request

    def hello(self):
        return "hello " + request.args.get("name", "?")

@app.route("/hi")
def hi():
    return Greeter().hello()
'''
    module, result = reload_edit(ws, "web", old, old.replace('"hello "', '"howdy "'))
    assert result.status == RELOADED, result
    client = module.app.test_client()
    assert client.get("/hi?name=ann").get_data(as_text=True) == "howdy ann"


def test_django_lazy_settings_are_not_configured_by_a_reload(ws):
    pytest.importorskip("django")
    old = '''\
from django.conf import LazySettings, settings

LOCAL = LazySettings()

def f():
    return 1
'''
    from django.conf import settings

    configured = settings.configured
    module, result = reload_edit(ws, "dj", old, old.replace("return 1", "return 2"))
    assert result.status == RELOADED, result
    assert module.f() == 2
    assert not module.LOCAL.configured  # nothing asked it to set itself up
    assert settings.configured == configured


def test_lazy_object_proxy_factory_never_runs(ws):
    pytest.importorskip("lazy_object_proxy")
    old = '''\
import lazy_object_proxy

CALLS = []

def _factory():
    CALLS.append(1)
    return len

LAZY = lazy_object_proxy.Proxy(_factory)

def f():
    return 1
'''
    module, result = reload_edit(ws, "lazy", old, "\n" + old.replace("return 1", "return 2"))
    assert result.status == RELOADED, result
    assert module.f() == 2
    assert module.CALLS == []


def test_wrapt_proxies_and_decorated_functions(ws):
    pytest.importorskip("wrapt")
    old = '''\
import wrapt

@wrapt.decorator
def traced(wrapped, instance, args, kwargs):
    return ("traced", wrapped(*args, **kwargs))

@traced
def f():
    return 1

class Thing:
    @traced
    def m(self):
        return 10

PROXY = wrapt.ObjectProxy(f)
'''
    new = old.replace("return 1", "return 2").replace("return 10", "return 20")
    module, result = reload_edit(ws, "wr", old, new)
    assert result.status == RELOADED, result
    assert module.f() == ("traced", 2)
    assert module.PROXY.__wrapped__() == ("traced", 2)
    assert module.Thing().m() == ("traced", 20)


def test_module_getattr_that_raises(ws):
    ws.write("dyn.py", '''\
def __getattr__(name):
    if name.startswith("__"):  # what the import system itself asks for
        raise AttributeError(name)
    raise RuntimeError("no " + name)
''')
    old = "import dyn\nfrom dyn import *\n\ndef f():\n    return dyn\n\nX = 1\n"
    module, result = reload_edit(ws, "user", old, old.replace("X = 1", "X = 2") + "\nY = 3\n")
    assert result.status == RELOADED, result
    assert (module.X, module.Y) == (2, 3)
    # and the module with __getattr__ itself reloads
    ws.write("dyn.py", "def __getattr__(name):\n    raise RuntimeError('none ' + name)\n\nZ = 1\n")
    assert ws.reload_one("dyn").status == RELOADED
    assert ws.load("dyn").Z == 1


@pytest.mark.parametrize("edit", ["body", "moved", "constant", "class"])
def test_hostile_objects_in_the_module(ws, edit):
    old = HOSTILE + '''
def f():
    return 1

class K:
    attr = TOUCHY
    other = HIDDEN

    def m(self):
        return 1
'''
    new = {
        "body": old.replace("    return 1\n\nclass", "    return 2\n\nclass"),
        "moved": "\n\n" + old.replace("    return 1\n\nclass", "    return 2\n\nclass"),
        "constant": old.replace('TABLE = {"t": Touchy()}', 'TABLE = {"t": Touchy(), "u": 1}'),
        "class": old.replace("        return 1\n", "        return 5\n"),
    }[edit]
    module, result = reload_edit(ws, "hostile", old, new, "from hostile import f, K, TOUCHY, TABLE")
    assert result.status == RELOADED, result
    main = ws.main.__dict__
    assert main["f"] is module.f and main["K"] is module.K
    if edit in ("body", "moved"):
        assert main["f"]() == 2
    if edit == "constant":
        assert main["TABLE"] is module.TABLE and set(main["TABLE"]) == {"t", "u"}
    if edit == "class":
        assert main["K"]().m() == 5


def test_hostile_values_rebound_in_main(ws):
    """A changed hostile value is rebound in ``__main__`` by identity, never compared."""
    old = HOSTILE + "\nVALUE = Touchy()\n"
    new = old.replace("VALUE = Touchy()", "VALUE = Hidden()")
    module, result = reload_edit(ws, "hostile2", old, new, "from hostile2 import VALUE, CALLER")
    assert result.status == RELOADED, result
    assert ws.main.__dict__["VALUE"] is module.VALUE
    assert type(module.VALUE).__name__ == "Hidden"


def test_numpy_and_pandas_globals_in_module_and_main(ws):
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    old = '''\
import numpy as np
import pandas as pd

ARR = np.arange(3)
FRAME = pd.DataFrame({"a": [1, 2]})
SERIES = FRAME["a"]

def total():
    return int(ARR.sum()) + int(FRAME["a"].sum())
'''
    new = old.replace("np.arange(3)", "np.arange(5)").replace("int(ARR", "100 + int(ARR")
    ws.run_main("import numpy as np\nimport pandas as pd\nmine = np.ones(4)\nframe = pd.DataFrame({'b': [0]})")
    module, result = reload_edit(ws, "data", old, new, "from data import ARR, FRAME, total")
    assert result.status == RELOADED, result
    main = ws.main.__dict__
    assert main["ARR"] is module.ARR and list(main["ARR"]) == [0, 1, 2, 3, 4]
    assert main["FRAME"] is module.FRAME
    assert main["total"]() == 100 + 10 + 3
    assert isinstance(main["mine"], np.ndarray) and isinstance(main["frame"], pd.DataFrame)


def test_main_script_holding_proxies_arrays_and_frames_reloads(ws):
    """The ``-i`` script is ``__main__`` itself: its reload walks a namespace holding
    Flask's proxies, numpy arrays, pandas frames and hostile objects made at the prompt."""
    pytest.importorskip("flask")
    pytest.importorskip("pandas")
    script = HOSTILE + '''
import numpy as np
import pandas as pd
from flask import request, g

ARR = np.arange(3)
FRAME = pd.DataFrame({"a": [1, 2]})

def f():
    return int(ARR.sum())
'''
    path = ws.write("script.py", script)
    ws.reloader.track_main(str(path))
    exec(compile(ws.reloader.main_source(str(path)), str(path), "exec"), ws.main.__dict__)
    ws.reloader.take_module_delta()
    f = ws.main.f
    ws.run_main("mine = Touchy()\nframe2 = FRAME * 2\narr2 = ARR + 1")
    ws.write("script.py", "\n" + script.replace("int(ARR.sum())", "int(ARR.sum()) + 100"))
    result = ws.reload_one("__main__")
    assert result.status == RELOADED, result
    assert ws.main.f is f and f() == 103
    assert type(ws.main.mine).__name__ == "Touchy" and list(ws.main.arr2) == [1, 2, 3]
