"""Which modules may use a function as a decorator: read once per version of each source.

A reload of a function asks it (``Reloader._used_as_decorator``); the words of
each module's ``@`` lines are cached per source version, so the answer must
follow every edit of the using module, and must never drop a module that
does use the function.
"""

from __future__ import annotations

import pytest
from reload_helpers import Workspace

from freshrepl.protocol import RELOADED, UNSAFE
from freshrepl.reload.engine import DecoratorWords
from freshrepl.reload.hook import Loaded, SourceStore

TAG = "def tag(fn):\n    fn.tag = 'v1'\n    return fn\n"


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


def _store(*entries: Loaded) -> SourceStore:
    store = SourceStore()
    for entry in entries:
        store._keep(entry)
    return store


def test_only_modules_with_the_word_on_a_decorator_line():
    uses = Loaded("uses", "/uses.py", text="import m\n\n  @m.tag (x=1)\ndef f(): pass\n")
    mentions = Loaded("mentions", "/mentions.py", text="tag = 1\nprint('@tag')\n")
    longer = Loaded("longer", "/longer.py", text="@tagged\ndef g(): pass\n")
    words = DecoratorWords(_store(uses, mentions, longer))
    assert words.naming("tag") == [uses]


def test_a_new_source_is_read_again():
    module = Loaded("m", "/m.py", text="x = 1\n")
    words = DecoratorWords(_store(module))
    assert words.naming("tag") == []
    module.text = "@tag\ndef f(): pass\n"
    words.take_in(module)  # what a reload does once it keeps the new text
    assert words.naming("tag") == [module]
    module.text = "x = 2\n"  # rewritten without telling: found stale, read again
    assert words.naming("tag") == []


def test_modules_kept_later_are_read_at_the_next_question():
    a = Loaded("a", "/a.py", text="@tag\n")
    store = _store(a)
    words = DecoratorWords(store)
    assert words.naming("tag") == [a]
    b = Loaded("b", "/b.py", text="@tag\n")
    store._keep(b)
    assert words.naming("tag") == [a, b]
    store._keep(Loaded("a", "/a.py", text="x = 1\n"))  # imported again, no decorator now
    assert words.naming("tag") == [b]


def test_modules_gone_are_let_go():
    a, b = Loaded("a", "/a.py", text="@tag\n"), Loaded("b", "/b.py", text="@tag\n")
    store = _store(a, b)
    words = DecoratorWords(store)
    assert words.naming("tag") == [a, b]
    store.forget("a")
    assert words.naming("tag") == [b]
    assert set(words._read) == {"b"} and words._by_word == {"tag": {"b"}}


def test_a_module_that_starts_using_a_decorator_makes_its_edit_refused(ws):
    ws.write("tags.py", TAG)
    ws.write("later.py", "import tags\n\ndef f():\n    return 1\n")
    tags, later = ws.load("tags"), ws.load("later")
    ws.write("tags.py", TAG.replace("'v1'", "'v2'"))
    assert ws.reload_one("tags").status == RELOADED  # used as a decorator nowhere yet
    ws.write("later.py", "import tags\n\n@tags.tag\ndef f():\n    return 1\n")
    assert ws.reload_one("later").status == RELOADED
    assert later.f.tag == "v2"
    ws.write("tags.py", TAG.replace("'v1'", "'v3'"))
    result = ws.reload_one("tags")
    assert result.status == UNSAFE and "tag" in result.detail, result
    assert later.f.tag == "v2" and tags.tag.__code__.co_consts.count("v2") == 1
