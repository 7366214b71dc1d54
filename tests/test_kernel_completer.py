"""Completion from the live namespace: names, attributes, dictionary keys, paths, modules."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from freshrepl.kernel.completer import complete
from freshrepl.kernel.introspect import signature_at


class Watched:
    """Records any dynamic attribute access (which completion must never trigger)."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.table = {"x": 1}

    @property
    def expensive(self) -> int:
        self.log.append("property")
        return 1

    def __getattr__(self, name: str) -> Any:
        self.log.append(f"getattr {name}")
        return 1

    def method(self) -> None:
        pass


class SneakyMapping(dict):
    def keys(self):  # type: ignore[override]
        raise AssertionError("completion called keys()")


@pytest.fixture
def namespace() -> dict[str, Any]:
    return {
        "__builtins__": __builtins__,
        "w": Watched(),
        "d": {"alpha": 1, "beta": 2, 7: "seven", 'say "hi"': 3, b"raw": 4},
        "sneaky": SneakyMapping(one=1),
        "os": os,
        "value_one": 1,
    }


def test_names_keywords_and_modules_as_before(namespace):
    assert complete("valu", namespace) == (["value_one"], -4)
    assert "print(" in complete("pri", namespace)[0]
    assert "while " in complete("whi", namespace)[0]
    assert complete("import o", namespace)[0][:1] and "os" in complete("import o", namespace)[0]
    assert "path" in complete("from os import pa", namespace)[0]
    assert complete("", namespace) == ([], 0)


def test_attributes_without_running_properties_or_getattr(namespace):
    matches, start = complete("w.", namespace)
    assert start == -2
    assert "w.method(" in matches and "w.expensive" in matches and "w.table" in matches
    assert not any(m.startswith("w._") for m in matches)
    assert complete("w._", namespace)[0] == []  # dunders only after two underscores
    assert "w.__init__(" in complete("w.__", namespace)[0]
    assert complete("w.expensive.", namespace)[0] == []
    assert complete("w.nothing.", namespace)[0] == []
    assert namespace["w"].log == []


def test_attributes_of_modules(namespace):
    matches, _ = complete("os.pa", namespace)
    assert "os.path" in matches and "os.pathsep" in matches


def test_quoted_keys_after_a_bracket(namespace):
    matches, start = complete("d[", namespace)
    assert start == 0
    assert matches == sorted(["'alpha']", "'beta']", "7]", "'say \"hi\"']", "b'raw']"])
    assert complete("d[7", namespace) == (["7]"], -1)


@pytest.mark.parametrize("text, expected, start", [
    ("d['", ["alpha']", "beta']", "say \"hi\"']"], 0),
    ('d["', ['alpha"]', 'beta"]', 'say \\"hi\\""]'], 0),
    ("d['al", ["alpha']"], -2),
    ("d[ 'b", ["beta']"], -1),
    ("d[b'", ["raw']"], 0),
    ("w.table['", ["x']"], 0),
])
def test_keys_inside_a_string(namespace, text, expected, start):
    assert complete(text, namespace) == (expected, start)


def test_keys_are_read_without_calling_the_mapping(namespace):
    assert complete("sneaky['", namespace)[0] == ["one']"]


def test_environment_keys(namespace, monkeypatch):
    monkeypatch.setenv("FRESHREPL_TEST_KEY", "1")
    assert complete("os.environ['FRESHREPL_TEST_K", namespace)[0] == ["FRESHREPL_TEST_KEY']"]


def test_not_a_mapping_falls_back_to_paths_and_names(namespace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "value.txt").write_text("")
    assert complete("value_one['v", namespace) == (["value.txt"], -1)
    assert complete("[valu", namespace)[0] == ["value_one"]


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "mod.py").write_text("")
    (tmp_path / "setup.cfg").write_text("")
    (tmp_path / ".hidden").write_text("")
    (tmp_path / "it's.txt").write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_paths_inside_strings(namespace, files):
    assert complete('open("s', namespace) == (["setup.cfg", "src/"], -1)
    assert complete('open("src/', namespace) == (["pkg/"], 0)
    assert complete("p = 'src/pkg/m", namespace) == (["mod.py"], -1)
    assert complete("open('", namespace)[0] == ["it\\'s.txt", "setup.cfg", "src/"]
    assert complete('open("', namespace)[0] == ["it's.txt", "setup.cfg", "src/"]
    assert complete('open(".h', namespace)[0] == [".hidden"]
    assert complete('open("nothing/', namespace) == ([], 0)


def test_home_directory_paths(namespace, files, monkeypatch):
    monkeypatch.setenv("HOME", str(files / "src"))
    assert complete("open('~/p", namespace) == (["pkg/"], -1)


def test_nothing_in_comments_and_no_paths_in_bytes(namespace, files):
    assert complete("open(b's", namespace)[0] == []
    assert complete("x = 1  # 's", namespace) == ([], 0)
    assert complete("x = 1  # see valu", namespace) == ([], 0)
    assert complete("x = 1  # comment\nvalu", namespace) == (["value_one"], -4)


PIECES = [*"d[]()'\"\\#.,= \nrbfw_x0", "os.", "w.", "d['", "import ", "from ", "'''", "al"]
PYTHONISH = st.lists(st.sampled_from(PIECES), max_size=15).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=PYTHONISH)
def test_any_text_completes_without_error(namespace, text):
    matches, start = complete(text, namespace)
    assert all(isinstance(m, str) for m in matches) and -len(text) <= start <= 0
    _site, found = signature_at(text, namespace)
    assert all(isinstance(line, str) for line in found)
    assert namespace["w"].log == []


def test_module_names_are_what_pkgutil_lists(tmp_path: Path) -> None:
    """The quick directory scan finds what ``pkgutil.iter_modules`` does (``import`` names only)."""
    import email
    import pkgutil
    import sys
    from importlib.machinery import EXTENSION_SUFFIXES

    from freshrepl.kernel.completer import _modules_in

    (tmp_path / "plain.py").write_text("")
    (tmp_path / ("compiled" + EXTENSION_SUFFIXES[0])).write_bytes(b"")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "not_a_package").mkdir()
    (tmp_path / "1st.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    directories = [str(tmp_path), *email.__path__, *[p for p in sys.path if p]]
    expected = {info.name for info in pkgutil.iter_modules(directories) if info.name.isidentifier()}
    assert _modules_in(directories) == expected
    assert {"plain", "pkg", "compiled"} <= expected
    assert "not_a_package" not in expected and "1st" not in expected
