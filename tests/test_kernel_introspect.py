"""Signature help and docstrings from live objects, read without running the user's code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from kernels import running_kernel

from freshrepl.kernel.introspect import call_site, doc_text, resolve, scan, signature_at


class Tricky:
    """An object whose dynamic attributes would have side effects if evaluated."""

    label = "cls"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.data = {"alpha": 1}

    @property
    def prop(self) -> Any:
        self.calls.append("prop")
        return print

    def __getattr__(self, name: str) -> Any:
        self.calls.append(f"getattr {name}")
        return print

    # No annotations: under `from __future__ import annotations` they print as strings.
    def method(self, a, b="x"):  # type: ignore[no-untyped-def]
        """Do the thing."""

    @classmethod
    def make(cls, size):  # type: ignore[no-untyped-def]
        return cls()

    @staticmethod
    def helper(q):  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def namespace() -> dict[str, Any]:
    return {"__builtins__": __builtins__, "t": Tricky(), "Tricky": Tricky, "os": os}


def signature(text: str, namespace: dict[str, Any]) -> list[str]:
    return signature_at(text, namespace)[1]


def test_builtin_signature_of_print(namespace):
    (found,) = signature("print(", namespace)
    assert found.startswith("print(") and "sep=' '" in found and "flush=False" in found


@pytest.mark.parametrize("text, expected", [
    ("t.method(", "method(a, b='x')"),
    ("Tricky.make(", "make(size)"),
    ("t.make(", "make(size)"),
    ("t.helper(", "helper(q)"),
    ("Tricky.method(", "method(self, a, b='x')"),
    ("t.data.get(", "get(key, default=None, /)"),
    ("os.path.join(", "join(a, *p)"),
])
def test_signature_of_methods_and_functions(namespace, text, expected):
    assert signature(text, namespace) == [expected]


def test_builtin_documented_by_its_docstring():
    assert signature("range(", {}) == ["range(stop) -> range object",
                                       "range(start, stop[, step]) -> range object"]


def test_argument_position_and_keyword(namespace):
    site = call_site("t.method(1, [2, 3], b=")
    assert site is not None and (site.callee, site.argument, site.keyword) == ("t.method", 2, "b")
    site = call_site("print('a, (b', ")
    assert site is not None and (site.callee, site.argument) == ("print", 1)
    site = call_site("f(x)\ng(1, # a (comment\n  2")
    assert site is not None and (site.callee, site.argument) == ("g", 1)
    assert call_site("print(1)") is None
    assert call_site("x[0](") is None and call_site("f()(") is None
    assert call_site("'abc'.split(") is None


def test_no_signature_for_unknown_or_uncallable(namespace):
    assert signature("nothing(", namespace) == []
    assert signature("t.label(", namespace) == []


def test_properties_and_getattr_never_run(namespace):
    tricky = namespace["t"]
    assert signature("t.prop(", namespace) == []
    assert signature("t.dynamic(", namespace) == []
    assert signature("t.prop.x(", namespace) == []
    assert doc_text("t.prop", namespace) is not None  # the property object itself
    assert doc_text("t.dynamic", namespace) is None
    assert tricky.calls == []


class LazyProxy:
    """Like a lazy object of an ORM: any unknown attribute would do work."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.log.append(name)
        return print

    def __call__(self, query, limit=10):  # type: ignore[no-untyped-def]
        pass


class Lazy(type):
    def __getattr__(cls, name: str) -> Any:
        raise AssertionError(f"metaclass __getattr__ ran for {name}")


class Model(metaclass=Lazy):
    def __init__(self, key):  # type: ignore[no-untyped-def]
        pass


def test_callables_with_getattr_are_described_without_running_it():
    proxy = LazyProxy()
    namespace = {"proxy": proxy, "Model": Model}
    assert signature("proxy(", namespace) == ["proxy(query, limit=10)"]
    assert proxy.log == []  # inspect would have asked it for __signature__, __wrapped__...
    assert signature("Model(", namespace) == []


def test_resolve_takes_only_names_and_attributes(namespace):
    for expr in ("t.method()", "t[0]", "t.data['alpha']", "1 + 1", "__import__('os')", ""):
        with pytest.raises(LookupError):
            resolve(expr, namespace)
    assert resolve("t.data", namespace) == {"alpha": 1}
    assert resolve("os . path", namespace) is os.path


def test_doc_shows_signature_then_docstring(namespace):
    text = doc_text("t.method", namespace)
    assert text == "method(a, b='x')\n\nDo the thing."
    text = doc_text("print", namespace)
    assert text is not None and text.startswith("print(") and "Prints the values" in text
    assert doc_text("os", namespace).startswith("module os\n\n")  # type: ignore[union-attr]
    assert doc_text("no_such_name", namespace) is None


@pytest.mark.parametrize("word, title", [("for", 'The "for" statement'),
                                         ("as", 'The "with" statement'),
                                         ("and", "Boolean operations")])
def test_doc_of_keywords_is_pythons_help(word, title):
    text = doc_text(word, {})
    assert text is not None and text.startswith(f"keyword {word}\n\n{title}")


def test_doc_finds_loaded_modules_not_imported_here():
    import json  # noqa: F401  (loaded, but not in the namespace below)

    text = doc_text("json.dumps", {})
    assert text is not None and text.startswith("dumps(obj, *,")


def test_scan_finds_the_open_string():
    found = scan("open(rb'some/pa")
    assert (found.string_start, found.quote, found.prefix) == (7, "'", "rb")
    found = scan('x = """doc\nmore')
    assert found.quote == '"""'
    assert scan("x = 'closed' # 'not a string").string_start is None


# -- through the kernel process -------------------------------------------------------


def kernel() -> Any:
    return running_kernel()


def test_kernel_client_signature_and_doc(monkeypatch, capfd):
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent / "src"))
    with kernel() as k:
        k.run("def area(w, h=2):\n    'The area.'\n    return w * h\n")
        reply = k.signature("x = area(3, ", timeout=10)
        assert (reply.callee, reply.signatures, reply.argument) == ("area", ["area(w, h=2)"], 1)
        assert k.signature("x = 1", timeout=10).signatures == []
        doc = k.doc("area", timeout=10)
        assert doc.found and doc.text == "area(w, h=2)\n\nThe area."
        assert not k.doc("missing", timeout=10).found
        k.run("class Odd:\n    @property\n    def __doc__(self):\n        raise RuntimeError('no')\n")
        k.run("odd = Odd()")
        doc = k.doc("odd", timeout=10)
        assert not doc.found and doc.text == "cannot show odd: RuntimeError('no')"
        assert "internal error" not in capfd.readouterr().err


def test_a_wrapping_callable_instance_is_described_by_what_it_wraps():
    # numpy's functions (np.mean) are instances of a C dispatcher type keeping the
    # Python function in __wrapped__: python3's help() shows that one's parameters.
    np = pytest.importorskip("numpy")
    assert signature("np.mean(", {"np": np})[0].startswith("mean(a, axis=None, dtype=None")
    assert doc_text("np.mean", {"np": np}).startswith("mean(a, axis=None")  # type: ignore[union-attr]
