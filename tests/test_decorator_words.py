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
from freshrepl.reload.hook import Loaded

TAG = "def tag(fn):\n    fn.tag = 'v1'\n    return fn\n"


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(tmp_path)
    yield workspace
    workspace.close()


def test_only_modules_with_the_word_on_a_decorator_line():
    uses = Loaded("uses", "/uses.py", text="import m\n\n  @m.tag (x=1)\ndef f(): pass\n")
    mentions = Loaded("mentions", "/mentions.py", text="tag = 1\nprint('@tag')\n")
    longer = Loaded("longer", "/longer.py", text="@tagged\ndef g(): pass\n")
    words = DecoratorWords()
    assert words.naming("tag", [uses, mentions, longer]) == [uses]


def test_a_new_source_is_read_again():
    module = Loaded("m", "/m.py", text="x = 1\n")
    words = DecoratorWords()
    assert words.naming("tag", [module]) == []
    module.text = "@tag\ndef f(): pass\n"
    assert words.naming("tag", [module]) == [module]


def test_modules_gone_are_let_go():
    a, b = Loaded("a", "/a.py", text="@tag\n"), Loaded("b", "/b.py", text="@tag\n")
    words = DecoratorWords()
    assert words.naming("tag", [a, b]) == [a, b]
    assert words.naming("tag", [b]) == [b]
    assert set(words._read) == set(words._words) == {"b"}


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
