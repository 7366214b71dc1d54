"""End-to-end tests of stale values: after a reload the shell names the values the old code
computed; ``:stale`` lists them, ``:rerun`` computes them again with the new code.

Where the kernel's interpreter has ``sys.monitoring`` what an input ran is
recorded and the notice says ``stale``; elsewhere it is read statically and
the notice says ``may be stale``.  Both are checked by running this file on
3.12+/3.13 and on 3.11.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

EXACT = hasattr(sys, "monitoring")  # the kernel runs on this interpreter
STALE = "stale" if EXACT else "may be stale"

STATS = """\
def helper(x):
    return x + 1

def describe(x):
    return helper(x) * 10

def other(x):
    return x * 2

def unused():
    return 0

class Stats:
    def __init__(self, values):
        self.values = values

    def total(self):
        return sum(self.values)
"""


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text))


def edit(term, path: Path, old: str, new: str) -> str:
    """Change ``old`` to ``new`` in the file; the text of the reload notice that follows."""
    mark = term.mark()
    path.write_text(path.read_text().replace(old, new))
    text = term.wait_for(re.compile(r"(not )?reloaded stats.*\n", re.S), after=mark)[mark:]
    return next(line for line in text.splitlines() if "reloaded stats" in line)


def start(spawn, project: Path, *args: str, env: dict[str, str] | None = None):
    write(project / "stats.py", STATS)
    term = spawn("-q", "--no-color", *args, env=env)
    term.wait_prompt(1)
    term.run("from stats import describe, other, unused, Stats")
    return term


def test_edited_function_names_values_and_rerun_recomputes_them(spawn, project):
    term = start(spawn, project)
    term.run("summary = describe(1)")  # runs helper through describe
    term.run("report = [summary, summary + 1]")  # derived: read summary
    term.run("doubled = other(5)")  # never touched the changed code
    notice = edit(term, project / "stats.py", "return x + 1", "return x + 2")
    assert notice == f"↻ reloaded stats (helper changed) · {STALE}: summary, report — :rerun"
    listing = term.run(":stale")
    assert re.search(r"summary\s+input 2: summary = describe\(1\)\s+\(helper changed\)", listing), listing
    assert re.search(r"report\s+input 3: report = \[summary, summary \+ 1\]\s+\(helper changed\)", listing)
    assert "doubled" not in listing
    out = term.run(":rerun")
    lines = out.splitlines()
    assert lines[0] == "↻ input 2: summary = describe(1)"
    assert lines[1] == "↻ input 3: report = [summary, summary + 1]"
    assert re.fullmatch(r"ran 2 inputs again in [\d.]+ s; nothing is stale", lines[2]), out
    assert term.run("summary, report, doubled") == "(30, [30, 31], 10)"
    assert term.run(":stale") == "nothing is stale"
    notice = edit(term, project / "stats.py", "return 0", "return 1")
    assert notice == "↻ reloaded stats (unused changed)"


def test_rerun_shows_output_and_runs_inputs_in_record_order(spawn, project):
    term = start(spawn, project)
    term.run("first = describe(1); print('made first', first)")
    term.run("second = describe(first)")
    edit(term, project / "stats.py", "* 10", "* 100")
    out = term.run(":rerun")
    assert out.splitlines()[:4] == [
        "↻ input 2: first = describe(1); print('made first', first)",
        "made first 200",
        "↻ input 3: second = describe(first)",
        out.splitlines()[3],
    ]
    assert term.run("second") == str((200 + 1) * 100)


def test_name_rebound_after_the_edit_is_not_stale(spawn, project):
    term = start(spawn, project)
    term.run("a = describe(1)")
    term.run("b = describe(2)")
    term.run("c = describe(3)")
    edit(term, project / "stats.py", "* 10", "* 3")
    term.run("a = 7")  # rebound by an input that ran no changed code
    term.run("b = describe(2)")  # rebound by the new code
    listing = term.run(":stale")
    assert re.search(r"^\s+c\s+input 4: c = describe\(3\)", listing, re.M), listing
    assert not re.search(r"^\s+[ab]\s", listing, re.M), listing


def test_value_made_by_a_method_of_an_edited_class(spawn, project):
    term = start(spawn, project)
    term.run("s = Stats([1, 2, 3])")
    term.run("t = s.total()")
    term.run("n = len(s.values)")
    notice = edit(term, project / "stats.py", "return sum(self.values)", "return sum(self.values) * 2")
    assert notice == f"↻ reloaded stats (Stats.total changed) · {STALE}: t — :rerun"
    assert re.search(r"t\s+input 3: t = s.total\(\)\s+\(Stats.total changed\)", term.run(":stale"))
    term.run(":rerun")
    assert term.run("t") == "12"


def test_rerun_stops_at_the_first_input_that_now_fails(spawn, project):
    term = start(spawn, project)
    term.run("x = describe(1)")
    term.run("y = x + 1")
    edit(term, project / "stats.py", "return helper(x) * 10", "return helper(x) / 0")
    out = term.run(":rerun")
    assert "ZeroDivisionError" in out
    assert "rerun stopped at input 2 (x = describe(1)), which now fails; 0 of 2 inputs ran again" in out
    assert "↻ input 3" not in out
    listing = term.run(":stale")
    assert "input 2: x = describe(1)" in listing and "input 3: y = x + 1" in listing


def test_many_inputs_are_rerun_only_when_asked(spawn, project):
    term = start(spawn, project)
    for name in "pqrs":
        term.run(f"{name} = describe(1)")
    edit(term, project / "stats.py", "* 10", "* 5")
    term.wait_idle()
    mark = term.mark()
    term.line(":rerun")
    term.wait_for("Run 4 inputs again (inputs 2, 3, 4, 5; they took 0.0 s before)? [Y/n]", after=mark)
    term.send("n")
    term.wait_for("nothing was run again", after=mark)
    assert "input 5: s = describe(1)" in term.run(":stale")
    mark = term.mark()
    term.line(":rerun")
    term.wait_for("[Y/n]", after=mark)
    term.send("y")
    term.wait_for("ran 4 inputs again", after=mark)
    assert term.run("p, s") == "(10, 10)"


def test_restart_replays_with_the_new_code_so_nothing_is_stale(spawn, project):
    term = start(spawn, project)
    term.run("summary = describe(1)")
    edit(term, project / "stats.py", "* 10", "* 7")
    assert "summary" in term.run(":stale")
    out = term.run(":restart --fresh")
    assert "replayed 2 inputs" in out
    assert term.run(":stale") == "nothing is stale"
    assert term.run("summary") == "14"


def test_setting_turns_it_off(spawn, project, home):
    config = home / "config" / "freshrepl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("stale_values = false\n")
    term = start(spawn, project)
    term.run("summary = describe(1)")
    notice = edit(term, project / "stats.py", "* 10", "* 7")
    assert notice == "↻ reloaded stats (describe changed)"
    assert term.run(":stale") == "stale values are not tracked: off (stale_values = false)"


def test_a_kernel_resumed_from_a_checkpoint_keeps_the_marks_of_its_values(spawn, project):
    # The policy's checkpoints alone (one of :undo's after input 4 would leave nothing to replay).
    term = start(spawn, project, env={"FRESHREPL_CHECKPOINT_AFTER": "0.3",
                                      "FRESHREPL_UNDO_CHECKPOINTS": "0"})
    term.run("summary = describe(1)")
    edit(term, project / "stats.py", "* 10", "* 7")
    term.run("import time; time.sleep(0.4)")  # a checkpoint after it holds the stale summary
    term.run("later = describe(1)")
    out = term.run(":restart")
    assert "restarted from input 3" in out, out
    # The resumed kernel still holds the old code's summary; the replayed input ran the new code.
    assert term.run("summary, later") == "(20, 14)"
    listing = term.run(":stale")
    assert "input 2: summary = describe(1)" in listing and "later" not in listing
    term.run(":rerun")
    assert term.run("summary") == "14"


def test_ctrl_c_stops_a_rerun(spawn, project):
    term = start(spawn, project)
    term.run("import time; pause = 0")
    term.run("v = describe(1); time.sleep(pause)")
    edit(term, project / "stats.py", "* 10", "* 7")
    term.run("pause = 30")
    mark = term.mark()
    term.line(":rerun")
    term.wait_for("↻ input 3: v = describe(1); time.sleep(pause)", after=mark)
    term.send("\x03")
    term.wait_for("rerun stopped at input 3 (v = describe(1); time.sleep(pause)), interrupted; "
                  "0 of 1 inputs ran again", after=mark)
    term.wait_idle()
    assert term.run("v") == "14"  # bound before the interrupt: the new code's value
    assert term.run(":stale") == "nothing is stale"


def test_a_rerun_keeps_what_later_inputs_made(spawn, project):
    term = start(spawn, project)
    term.run("summary = describe(1); n = 0")
    term.run("n = 10")
    edit(term, project / "stats.py", "* 10", "* 7")
    out = term.run(":rerun")
    assert "  kept n: made since by later inputs" in out.splitlines(), out
    assert term.run("summary, n") == "(14, 10)"


def test_the_issues_example_with_a_dataframe(spawn, project):
    write(project / "frames.py", """\
        def describe(df):
            return df["x"].sum()

        def fmt(value):
            return f"total {value}"
        """)
    term = spawn("-q", "--no-color")
    term.wait_prompt(1)
    term.run("import pandas as pd; from frames import describe, fmt")
    term.run("df = pd.DataFrame({'x': [1, 2, 3]})")
    term.run("summary = describe(df)")
    term.run("report = fmt(summary)")
    mark = term.mark()
    path = project / "frames.py"
    path.write_text(path.read_text().replace('df["x"].sum()', 'df["x"].max()'))
    text = term.wait_for("reloaded frames", after=mark)[mark:]
    assert f"↻ reloaded frames (describe changed) · {STALE}: summary, report — :rerun" in text
    term.run(":rerun")
    assert term.run("report") == "'total 3'"
    assert term.run(":stale") == "nothing is stale"


def test_functions_of_an_i_script(spawn, project):
    script = project / "work.py"
    write(script, """\
        def f():
            return 1

        def g():
            return 2
        """)
    term = spawn("-q", "--no-color", "-i", str(script))
    term.wait_prompt(1)
    term.run("y = f()")
    term.run("z = g()")
    mark = term.mark()
    script.write_text(script.read_text().replace("return 1", "return 10"))
    text = term.wait_for(re.compile(r"reloaded (__main__|work).*\n"), after=mark)[mark:]
    assert f"(f changed) · {STALE}: y — :rerun" in text, text
    term.run(":rerun")
    assert term.run("y, z") == "(10, 2)"


VIEWS = """\
import flask

app = flask.Flask(__name__)

@app.route("/hello")
def hello():
    return "Hello"
"""


# Without sys.monitoring the reader must look inside a library's objects: the test client
# holds the app, the app its view functions. Found driving a Flask project on 3.10/3.11.
def test_value_made_through_a_library_object_that_holds_user_code(spawn, project):
    write(project / "stats.py", VIEWS)
    term = spawn("-q", "--no-color")
    term.wait_prompt(1)
    term.run("from stats import app; client = app.test_client()")
    term.run("h = client.get('/hello').text")
    notice = edit(term, project / "stats.py", 'return "Hello"', 'return "Hi"')
    # Read statically, the app and client (which hold the view) may be named too.
    assert re.fullmatch(rf"↻ reloaded stats \(hello changed\) · {STALE}: (app, client, )?h — :rerun",
                        notice), notice
    term.run(":rerun")
    assert term.run("h") == "'Hi'"


def test_a_rerun_input_that_reads_what_it_binds_leaves_nothing_stale(spawn, project):
    term = start(spawn, project)
    term.run("m = describe(1); m")  # reads the name it has just bound
    edit(term, project / "stats.py", "return x + 1", "return x + 2")
    out = term.run(":rerun")
    assert re.search(r"ran 1 input again in [\d.]+ s; nothing is stale", out), out
    assert term.run(":stale") == "nothing is stale"
