"""End-to-end tests of live reloading: edit files on disk while the shell runs."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

POINTS = """\
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y
"""

POINTS_WITH_REPR = POINTS + """
    def __repr__(self):
        return f"Point(x={self.x}, y={self.y})"
"""


def write(path: Path, text: str) -> None:
    """Save like an editor that writes in place."""
    path.write_text(textwrap.dedent(text))


def save_atomically(path: Path, text: str) -> None:
    """Save like an editor that writes a temporary file and renames it over."""
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(textwrap.dedent(text))
    os.replace(temporary, path)


def start_with_module(spawn, path: Path, text: str, statement: str, *args: str):
    """Write a module, start the shell in its directory and import it there."""
    write(path, text)
    term = spawn("-q", *args)
    term.wait_prompt(1)
    term.run(statement)
    return term


def test_old_instance_picks_up_new_repr_while_idle(spawn, project):
    term = start_with_module(spawn, project / "points.py", POINTS, "from points import Point")
    term.run("p = Point(1, 2)")
    assert term.run("p").startswith("<points.Point object")
    mark = term.mark()
    write(project / "points.py", POINTS_WITH_REPR)
    term.wait_for("reloaded points", after=mark)  # at once, while idle at the prompt
    assert term.run("p") == "Point(x=1, y=2)"
    assert term.run("type(p) is Point, isinstance(p, Point)") == "(True, True)"


def test_idle_reload_keeps_what_the_user_was_typing(spawn, project):
    term = start_with_module(spawn, project / "points.py", POINTS, "import points")
    term.send("half_typed = 1")
    term.wait_for(">>> half_typed = 1")
    mark = term.mark()
    save_atomically(project / "points.py", POINTS_WITH_REPR)
    term.wait_for("reloaded points", after=mark)
    term.wait_for(re.compile(r"reloaded points.*\n>>> half_typed = 1", re.S))
    term.send("23\r")
    term.wait_idle()
    assert term.run("half_typed") == "123"


def test_change_saved_just_before_enter_is_applied_first(spawn, project):
    term = start_with_module(spawn, project / "limits.py", "def limit():\n    return 10\n", "from limits import limit")
    for value in range(11, 16):
        term.wait_idle()
        write(project / "limits.py", f"def limit():\n    return {value}\n")
        term.line("limit()")  # typed the instant after the save
        term.wait_for(re.compile(rf"^{value}$", re.M))


def test_broken_edit_keeps_old_code_then_fix_applies(spawn, project):
    term = start_with_module(spawn, project / "calc.py", "def add(a, b):\n    return a + b\n", "import calc")
    mark = term.mark()
    write(project / "calc.py", "def add(a, b):\n    return a +\n")
    text = term.wait_for("not reloaded calc", after=mark)
    assert "calc.py:2" in text and "SyntaxError" in text
    assert term.run("calc.add(2, 3)") == "5"
    assert "failed" in term.run(":watch")
    mark = term.mark()
    write(project / "calc.py", "def add(a, b):\n    return a + b + 100\n")
    term.wait_for("reloaded calc", after=mark)
    assert term.run("calc.add(2, 3)") == "105"


def test_runtime_error_in_changed_code_keeps_old_module(spawn, project):
    term = start_with_module(spawn, project / "conf.py", "VALUE = 1\n", "import conf")
    mark = term.mark()
    write(project / "conf.py", "VALUE = 1 / 0\n")
    # A fresh process may run what the live one cannot: the restart is offered.
    text = term.wait_for("Restart the kernel and replay 1 input (1)? [Y/n]", after=mark)
    assert "cannot reload conf: conf.py:1: ZeroDivisionError: division by zero" in text
    term.send("n")
    term.wait_idle()
    assert term.run("conf.VALUE") == "1"


def test_unsafe_change_asks_and_yes_restarts_with_replay(spawn, project):
    term = start_with_module(spawn, project / "shapes.py", "class Base:\n    pass\n\nclass Square(Base):\n    pass\n", "import shapes")
    term.run("s = shapes.Square()")
    old_pid = term.run("import os; os.getpid()")
    mark = term.mark()
    write(project / "shapes.py", "class Base:\n    pass\n\nclass Square:\n    pass\n")
    text = term.wait_for("Restart the kernel and replay 3 inputs (1–3)? [Y/n]", after=mark)
    assert "cannot reload shapes" in text and "Square" in text
    term.send("y")
    term.wait_for("replayed 3 inputs", after=mark)
    term.wait_idle()
    assert term.run("shapes.Base in type(s).__mro__") == "False"
    assert term.run("os.getpid()") != old_pid


def test_unsafe_change_answer_no_keeps_old_code_and_marks_stale(spawn, project):
    term = start_with_module(spawn, project / "shapes.py", "class Base:\n    pass\n\nclass Square(Base):\n    def area(self):\n        return 1\n", "import shapes")
    mark = term.mark()
    # An unsafe change (bases) together with a safe one (area): neither is applied.
    write(project / "shapes.py", "class Base:\n    pass\n\nclass Square:\n    def area(self):\n        return 2\n")
    term.wait_for("[Y/n]", after=mark)
    term.send("n")
    term.wait_idle()
    assert term.run("shapes.Square().area(), shapes.Square.__bases__[0].__name__") == "(1, 'Base')"
    assert re.search(r"shapes\s+stale", term.run(":watch"))


def test_on_unsafe_keep_prints_notice_and_asks_nothing(spawn, project):
    term = start_with_module(spawn, project / "shapes.py", "class Base:\n    pass\n\nclass Square(Base):\n    pass\n", "import shapes", "--on-unsafe", "keep")
    mark = term.mark()
    write(project / "shapes.py", "class Square:\n    pass\n")
    term.wait_for("cannot reload shapes", after=mark)
    term.wait_idle()
    assert "[Y/n]" not in term.text()[mark:]
    assert term.run("len(shapes.Square.__mro__)") == "3"


def test_auto_off_then_reload_applies(spawn, project):
    term = start_with_module(spawn, project / "calc.py", "def f():\n    return 1\n", "import calc")
    assert "off" in term.run(":auto off")
    write(project / "calc.py", "def f():\n    return 2\n")
    assert term.run("calc.f()") == "1"
    assert re.search(r"calc\s+changed", term.run(":watch"))
    assert "reloaded calc" in term.run(":reload")
    assert term.run("calc.f()") == "2"


def test_from_import_value_in_main_is_rebound(spawn, project):
    term = start_with_module(spawn, project / "settings.py", "LIMIT = 10\n", "from settings import LIMIT")
    term.wait_idle()
    write(project / "settings.py", "LIMIT = 20\n")
    term.line("LIMIT")
    term.wait_for(re.compile(r"^20$", re.M))


def test_deleted_file_gives_notice_and_recreating_reloads(spawn, project):
    term = start_with_module(spawn, project / "gone.py", "def f():\n    return 'old'\n", "import gone")
    mark = term.mark()
    (project / "gone.py").unlink()
    term.wait_for("gone.py was deleted", after=mark)
    term.wait_idle()
    assert term.run("gone.f()") == "'old'"
    assert re.search(r"gone\s+deleted", term.run(":watch"))
    mark = term.mark()
    write(project / "gone.py", "def f():\n    return 'new'\n")
    term.wait_for("reloaded gone", after=mark)
    assert term.run("gone.f()") == "'new'"


def test_watch_lists_user_modules_not_stdlib(spawn, project):
    write(project / "mine.py", "X = 1\n")
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import mine, json")
    output = term.run(":watch")
    assert re.search(r"mine\s+fresh\s+mine\.py", output)
    assert "json" not in output


def test_reload_named_module_even_if_unchanged(spawn, project):
    write(project / "counter.py", "import builtins\nbuiltins.loads = getattr(builtins, 'loads', 0) + 1\n")
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import counter, builtins")
    assert term.run("builtins.loads") == "1"
    assert "reloaded counter" in term.run(":reload counter")
    assert term.run("builtins.loads") == "2"


def test_dash_i_script_main_is_watched(spawn, project):
    write(project / "app.py", "def greet():\n    return 'hello'\n")
    term = spawn("-q", "-i", "app.py")
    term.wait_prompt(1)
    assert term.run("greet()") == "'hello'"
    mark = term.mark()
    write(project / "app.py", "def greet():\n    return 'bonjour'\n")
    term.wait_for("reloaded", after=mark)
    assert term.run("greet()") == "'bonjour'"


def test_no_watch_reloads_only_on_command(spawn, project):
    term = start_with_module(spawn, project / "calc.py", "def f():\n    return 1\n", "import calc", "--no-watch")
    write(project / "calc.py", "def f():\n    return 2\n")
    assert term.run("calc.f()") == "1"
    assert "reloaded calc" in term.run(":reload")
    assert term.run("calc.f()") == "2"


def test_traceback_from_reloaded_code_shows_true_line_and_no_freshrepl_frames(spawn, project):
    term = start_with_module(spawn, project / "shapes.py", "class Base:\n    def size(self):\n        return 1\n\nclass Box(Base):\n    def size(self):\n        return 2\n", "import shapes")
    term.run("b = shapes.Box()")
    term.wait_idle()
    mark = term.mark()
    # Lines move down, and the method gains super() (its closure changes shape).
    write(project / "shapes.py", "# a comment\n# another\nclass Base:\n    def size(self):\n        raise ValueError('boom')\n\nclass Box(Base):\n    def size(self):\n        return super().size() + 1\n")
    term.wait_for("reloaded shapes", after=mark)
    output = term.run("b.size()")
    assert 'shapes.py", line 9, in size' in output
    assert "return super().size() + 1" in output
    assert 'shapes.py", line 5, in size' in output
    assert "raise ValueError('boom')" in output
    assert "freshrepl" not in output


def test_dash_i_script_with_syntax_error_then_fixed(spawn, project):
    write(project / "app.py", "X = 1\ndef f(:\n")
    term = spawn("-q", "-i", "app.py")
    assert "SyntaxError" in term.wait_prompt(1)
    assert term.run("1 + 1") == "2"
    assert "internal error" not in term.text()
    mark = term.mark()
    write(project / "app.py", "X = 1\ndef f():\n    return X + 1\n")
    term.wait_for("reloaded", after=mark)
    assert term.run("f()") == "2"


def test_save_written_in_two_parts_keeps_class_identity(spawn, project):
    full = "def f():\n    return 1\n\nclass P:\n    def tag(self):\n        return 'v1'\n"
    term = start_with_module(spawn, project / "pmod.py", full, "import pmod")
    term.run("p = pmod.P()")
    mark = term.mark()
    write(project / "pmod.py", "def f():\n    return 2\n")  # the first half of a slow save
    term.wait_for("P removed", after=mark)
    mark = term.mark()
    write(project / "pmod.py", full.replace("v1", "v2").replace("return 1", "return 2"))
    term.wait_for("P restored", after=mark)
    assert term.run("p.tag(), type(p) is pmod.P") == "('v2', True)"


def test_reload_during_history_search_keeps_the_input_line(spawn, project):
    term = start_with_module(spawn, project / "calc.py", "def f():\n    return 1\n", "import calc")
    term.run("calc.f() + 100")
    term.send("\x12calc.f")  # Ctrl-R: the input line now shows the match
    term.wait_for(re.compile(r"^>>> calc.f\(\) \+ 100$", re.M), after=term.mark())
    write(project / "calc.py", "def f():\n    return 2\n")
    term.wait_for(re.compile(r"reloaded calc.*\n>>> calc.f\(\) \+ 100$", re.S))
    term.send("\r")
    term.wait_for(re.compile(r"^102$", re.M))


def test_reload_command_says_when_there_is_nothing_to_do(spawn, project):
    term = start_with_module(spawn, project / "calc.py", "X = 1\n", "import calc")
    assert "nothing to reload" in term.run(":reload")
    output = term.run(":reload nosuch")
    assert "not reloaded nosuch: nosuch is not an imported user module" in output
    assert "kept the old" not in output
