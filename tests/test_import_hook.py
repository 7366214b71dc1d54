"""The import hook's keeping of user modules: exact bytes, code reused only for those bytes."""

from __future__ import annotations

import linecache
import os
import sys
import traceback

import pytest
from reload_helpers import Workspace

from freshrepl.reload.hook import CodeCache, Loaded, SourceStore, read_bytes


@pytest.fixture(autouse=True)
def _write_bytecode(monkeypatch):
    """As in an ordinary session (the test run may have bytecode writing off)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path / "src")
    yield workspace
    workspace.close()


def test_no_cache_is_written_when_python_writes_no_bytecode(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cache = CodeCache()
    cache.code(b"X = 1\n", str(tmp_path / "m.py"), lambda data, where: compile(data, where, "exec"))
    assert not os.path.exists(cache.root)


def test_cached_code_is_used_only_for_the_same_bytes(tmp_path):
    cache = CodeCache()
    path = str(tmp_path / "m.py")
    compiled = []

    def compile_(data: bytes, where: str):
        compiled.append(data)
        return compile(data, where, "exec")

    first = cache.code(b"X = 1\n", path, compile_)
    again = cache.code(b"X = 1\n", path, compile_)
    changed = cache.code(b"X = 2\n", path, compile_)  # same size: only the bytes tell
    assert compiled == [b"X = 1\n", b"X = 2\n"]
    namespace: dict = {}
    exec(again, namespace)
    assert namespace["X"] == 1 and again.co_filename == first.co_filename == path
    exec(changed, namespace)
    assert namespace["X"] == 2


def test_an_edit_that_keeps_size_and_mtime_is_seen(ws):
    path = ws.write("same.py", "VALUE = 'aaa'\n")
    ws.load("same")
    stat = os.stat(path)
    ws.close()
    # A new kernel, same cache: the file changed but looks the same to stat().
    path.write_bytes(b"VALUE = 'bbb'\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = Workspace(path.parent)
    try:
        assert again.load("same").VALUE == "bbb"
    finally:
        again.close()


def test_kept_source_is_the_bytes_read_and_decodes_as_python_does(ws):
    ws.write("latin.py", "# -*- coding: latin-1 -*-\nNAME = 'caf\u00e9'\n", encoding="latin-1")
    assert ws.load("latin").NAME == "caf\u00e9"
    entry = ws.reloader.store.by_name["latin"]
    assert entry.text is not None and "caf\u00e9" in entry.text


def test_traceback_shows_the_loaded_lines_after_the_file_changed(ws):
    ws.write("boom.py", "def f():\n    raise ValueError('loaded line')\n")
    module = ws.load("boom")
    ws.write("boom.py", "def f():\n    pass  # edited, not yet reloaded\n")
    linecache.clearcache()
    try:
        module.f()
    except ValueError:
        text = traceback.format_exc()
    assert "raise ValueError('loaded line')" in text
    assert "edited" not in text


def test_modules_are_found_by_their_files_however_spelled(ws):
    first = ws.write("pkg_a.py", "A = 1\n")
    ws.write("pkg_b.py", "B = 1\n")
    ws.load("pkg_a")
    ws.load("pkg_b")
    store = ws.reloader.store
    assert store.names_for([str(first)]) == {"pkg_a"}
    other_spelling = os.path.join(str(first.parent), ".", "..", first.parent.name, first.name)
    assert store.names_for([other_spelling, str(ws.root / "pkg_b.py")]) == {"pkg_a", "pkg_b"}
    assert store.names_for([str(ws.root / "nowhere.py")]) == set()
    assert store.loaded_from(str(first)).name == "pkg_a"
    assert store.loaded_from(other_spelling) is None  # as the module's code names its file
    # The same file, kept under another spelling by another module: both are its modules.
    store.record_source("pkg_a_alias", other_spelling, first.read_bytes())
    assert store.names_for([str(first)]) == {"pkg_a", "pkg_a_alias"}


def test_only_imported_names_are_indexed(ws):
    ws.write("base.py", "X = 1\n")
    ws.write("user.py", "import base\nfrom base import X\nY = X + 1\nZ = len('ab')\n")
    ws.load("user")
    store = ws.reloader.store
    assert store.by_name["user"].code_names is not None
    assert set(store.by_name["user"].code_names) == {"base", "X"}
    assert "user" in store.maybe_importers("base")


def test_a_loaded_entry_keeps_bytes_not_text(tmp_path):
    store = SourceStore()
    path = str(tmp_path / "k.py")
    entry = store.record_source("k", path, b"A = 1\n")
    assert isinstance(entry._source, bytes)
    assert entry.text == "A = 1\n"
    assert isinstance(Loaded("x", path, text="B = 2\n").text, str)
    assert sys.getsizeof(entry) < 150


@pytest.mark.parametrize("data", [
    b"A = 1\n",  # small: kept as read
    b"\0# starts like a deflated source\n",  # small, but would be mistaken for one: deflated
    b"# -*- coding: latin-1 -*-\nNAME = '\xe9'\n" + b"X = 1  # padding\n" * 60,  # large: deflated
])
def test_kept_sources_give_back_the_exact_text(tmp_path, data):
    from freshrepl.reload.hook import PACK_FROM, decode

    entry = SourceStore().record_source("k", str(tmp_path / "k.py"), data)
    assert entry.text == decode(data)
    deflated = len(data) >= PACK_FROM or data.startswith(b"\0")
    assert (entry._source == data) is not deflated
    if len(data) >= PACK_FROM:
        assert len(entry._source) < len(data) / 2


@pytest.mark.parametrize("size", [0, 1, 185, 4096, 70_000, 1_000_003])
def test_read_bytes_reads_the_whole_file(tmp_path, size):
    path = tmp_path / "m.py"
    data = bytes(i % 251 for i in range(size))
    path.write_bytes(data)
    assert read_bytes(str(path)) == data
    with pytest.raises(FileNotFoundError):
        read_bytes(str(tmp_path / "gone.py"))


def test_the_cache_is_made_again_if_removed_while_in_use(tmp_path):
    import shutil

    cache = CodeCache()
    compile_ = lambda data, where: compile(data, where, "exec")  # noqa: E731
    first, second = str(tmp_path / "a.py"), str(tmp_path / "b.py")
    cache.code(b"A = 1\n", first, compile_)
    shutil.rmtree(cache.root)  # the user cleared ~/.cache
    cache.code(b"B = 1\n", second, compile_)  # not stored: its directory is gone
    cache.code(b"B = 1\n", second, compile_)  # made again
    assert os.path.exists(cache.root + os.path.abspath(second) + f".{sys.flags.optimize}.code")
