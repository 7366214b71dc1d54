"""End-to-end: declining the restart says what stays stale and how to apply it; a revert makes it fresh."""

from __future__ import annotations

import re

SHAPES = "class Base:\n    pass\n\nclass Square(Base):\n    def area(self):\n        return 1\n"
UNSAFE = "class Base:\n    pass\n\nclass Square:\n    def area(self):\n        return 2\n"
DECLINED = ("kept the old code: shapes is now stale (:restart applies the edit, "
            "or fix shapes.py and :reload shapes)")


def _shell_with_shapes(spawn, project, *args: str):
    (project / "shapes.py").write_text(SHAPES)
    term = spawn("-q", *args)
    term.wait_prompt(1)
    term.run("import shapes; s = shapes.Square()")
    return term


def _watch_row(term, name: str) -> str:
    row = re.search(rf"^{name}\s+(.*)$", term.run(":watch"), re.M)
    assert row, term.text()
    return row[1]


def test_answering_no_says_what_stays_stale_and_a_revert_makes_it_fresh(spawn, project):
    term = _shell_with_shapes(spawn, project)
    mark = term.mark()
    (project / "shapes.py").write_text(UNSAFE)
    term.wait_for("[Y/n]", after=mark)
    term.send("n")
    text = term.wait_for(DECLINED, after=mark)
    assert re.search(r"\[Y/n\] n\n  " + re.escape(DECLINED), text[mark:])
    term.wait_idle()
    assert _watch_row(term, "shapes").startswith("stale") and "base classes changed" in term.text()
    # The file put back exactly as it was loaded: the module runs what its file holds.
    (project / "shapes.py").write_text(SHAPES)
    assert _watch_row(term, "shapes").startswith("fresh")
    assert "nothing to reload: every module matches its file" in term.run(":reload")
    assert term.run("s.area(), type(s).__bases__[0].__name__") == "(1, 'Base')"
    # And later safe edits apply as to any fresh module, with no question.
    mark = term.mark()
    (project / "shapes.py").write_text(SHAPES.replace("return 1", "return 3"))
    term.wait_for("reloaded shapes", after=mark)
    term.wait_idle()
    assert term.run("s.area()") == "3"
    assert "[Y/n]" not in term.text()[mark:]


def test_keep_on_unsafe_says_how_to_apply_later_and_a_revert_makes_it_fresh(spawn, project):
    term = _shell_with_shapes(spawn, project, "--on-unsafe", "keep")
    mark = term.mark()
    (project / "shapes.py").write_text(UNSAFE)
    term.wait_for(DECLINED, after=mark)
    term.wait_idle()
    assert "[Y/n]" not in term.text()[mark:]
    assert _watch_row(term, "shapes").startswith("stale")
    (project / "shapes.py").write_text(SHAPES)
    assert _watch_row(term, "shapes").startswith("fresh")


def test_a_broken_edit_put_back_is_fresh_too(spawn, project):
    term = _shell_with_shapes(spawn, project)
    mark = term.mark()
    (project / "shapes.py").write_text(SHAPES + "def broken(:\n")
    term.wait_for("not reloaded shapes", after=mark)
    term.wait_idle()
    assert _watch_row(term, "shapes").startswith("failed")
    (project / "shapes.py").write_text(SHAPES)
    assert _watch_row(term, "shapes").startswith("fresh")


def test_a_line_typed_at_the_question_is_no_answer_and_the_question_is_asked_again(spawn, project):
    # Found using the shell: the question appears above the prompt when a file is
    # saved; a line typed then ("df.pups.oldest()" + Enter) answered it with its
    # Enter (yes: the kernel restarted), a "y" or "n" inside it likewise.
    term = _shell_with_shapes(spawn, project)
    pid = term.run("__import__('os').getpid()")
    mark = term.mark()
    (project / "shapes.py").write_text(UNSAFE)
    term.wait_for("[Y/n]", after=mark)
    term.send("summary.mean\r")  # has a "y" and an "n" in it, and ends in Enter
    text = term.wait_for(re.compile(r"not an answer[^\n]*\n[^\n]*\[Y/n\]$"), after=mark)
    assert "replayed" not in text[text.index("not an answer"):]
    term.send("n")
    term.wait_for(DECLINED, after=mark)
    assert term.run("__import__('os').getpid()") == pid  # the same kernel
