"""End-to-end: a checkpoint survives the safe edits made after it (the ordinary loop of a day's work).

Import the helpers, load the data (slow), edit the helpers a few times (safe
reloads), then make an edit the live kernel cannot take: the restart resumes a
checkpoint, reloads the edited helpers in it, and does not run the load again.
"""

from __future__ import annotations

import re

import pytest
from checkpoint_helpers import IDLE, wait_checkpoint

HELPERS = "def mean(xs):\n    return sum(xs) / len(xs)\n"
# Safe in the live kernel: a function's body.
HELPERS_1 = "def mean(xs):\n    return round(sum(xs) / len(xs), 1)\n"
# Safe: a new dataclass.
HELPERS_2 = HELPERS_1 + "\n\nfrom dataclasses import dataclass\n\n\n@dataclass\nclass Summary:\n    n: int\n"
# Unsafe in the live kernel (a field added to a dataclass it built), safe where Summary is new.
HELPERS_3 = HELPERS_2 + "    total: float = 0.0\n"
LOAD = ("import time; time.sleep(2); data = [1, 2, 4]; "
        "open('loads.txt', 'a').write('load\\n')")


def _loads(project) -> int:
    path = project / "loads.txt"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _edit(term, project, text: str, expect: str) -> None:
    mark = term.mark()
    (project / "helpers.py").write_text(text)
    term.wait_for(expect, after=mark)


def _loop_up_to_the_unsafe_edit(spawn, project, *args: str, undo: bool = True):
    """The ordinary loop to just before its unsafe edit; ``undo``: with :undo's checkpoints,
    each waited for (taken while idle, a user types slower than a test)."""
    (project / "helpers.py").write_text(HELPERS)
    term = spawn("-q", *args, env={"FRESHREPL_UNDO_CHECKPOINTS": "3" if undo else "0"})
    term.wait_prompt(1)
    term.run("import helpers")
    term.run(LOAD)
    _edit(term, project, HELPERS_1, "reloaded helpers")
    assert term.run("helpers.mean(data)") == "2.3"
    if undo:
        wait_checkpoint(term, 3)
    _edit(term, project, HELPERS_2, "reloaded helpers")
    term.run("s = helpers.Summary(len(data))")
    if undo:
        wait_checkpoint(term, 4)
    assert _loads(project) == 1
    return term


@pytest.mark.parametrize("undo", [False, True])
def test_the_ordinary_loop_restarts_without_running_the_load_again(spawn, project, undo):
    term = _loop_up_to_the_unsafe_edit(spawn, project, undo=undo)
    table = term.run(":checkpoints")
    assert re.search(r"after a 2\.\d s input  \(a resume reloads helpers\.py\)", table), table
    _edit(term, project, HELPERS_3, "cannot reload helpers")
    term.wait_for("Restart the kernel and replay 4 inputs")
    mark = term.mark()
    term.send("y")
    # The policy's checkpoint after the load; with :undo's, the one after input 3
    # (Summary was new there) once the one after input 4 turned out void.
    resumed = "3 (replayed 1 input" if undo else "2 (replayed 2 inputs"
    text = term.wait_for(f"restarted from input {resumed}", after=mark)
    term.wait_idle()
    assert "reloaded in the checkpoint: helpers.py" in text[mark:]
    if undo:
        assert re.search(r"checkpoint #\d+ \(after input 4\) is void: helpers\.py: Summary", text)
    assert "fresh kernel" not in text[mark:]
    assert _loads(project) == 1  # the load did not run again
    assert term.run("s, helpers.mean(data), len(data)") == "(Summary(n=3, total=0.0), 2.3, 3)"
    # The resumed kernel is the one the watcher follows.
    _edit(term, project, HELPERS_3.replace("round(", "(round("), "reloaded helpers")
    assert term.run("helpers.Summary(1)") == "Summary(n=1, total=0.0)"


def test_checkpoints_says_what_a_resume_reloads_and_which_one_is_void(spawn, project):
    term = _loop_up_to_the_unsafe_edit(spawn, project, "--on-unsafe", "keep")
    _edit(term, project, HELPERS_3, "cannot reload helpers")
    term.wait_idle()
    table = term.run(":checkpoints")
    rows = {int(m[1]): m[2] for m in re.finditer(r"^\s*\d+\s+(\d+)\s+\d+\s+[0-9.]+ MB\s+(.*)$",
                                                 table, re.M)}
    assert rows[4].startswith(f"{IDLE}  (void: helpers.py: Summary: dataclass fields"), table
    assert rows[3] == f"{IDLE}  (a resume reloads helpers.py)"
    assert rows[2].endswith("s input  (a resume reloads helpers.py)")
    assert _loads(project) == 1  # trying them ran nothing of the session
    mark = term.mark()
    output = term.run(":restart")
    assert "restarted from input 3 (replayed 1 input" in output, term.text()[mark:]
    assert "is void" in output  # the one known void is passed over, saying why
    assert term.run("s") == "Summary(n=3, total=0.0)"
    assert _loads(project) == 1


def test_a_change_that_fails_in_the_checkpoint_voids_it(spawn, project):
    (project / "helpers.py").write_text(HELPERS)
    term = spawn("-q", "--on-unsafe", "keep", env={"FRESHREPL_UNDO_CHECKPOINTS": "0"}, cols=160)
    term.wait_prompt(1)
    term.run("import helpers")
    term.run(LOAD)
    # Raises in the live kernel and in the checkpoint alike.
    _edit(term, project, HELPERS + "LIMIT = 1 / 0\n", "cannot reload helpers")
    term.wait_idle()
    assert "(void: helpers.py:3: ZeroDivisionError: division by zero)" in term.run(":checkpoints")
    (project / "helpers.py").write_text(HELPERS + "LIMIT = 1\n")
    term.wait_for("reloaded helpers")
    term.wait_idle()
    assert "(a resume reloads helpers.py)" in term.run(":checkpoints")  # tried afresh
    assert "restarted from input 2 (replayed 0 inputs" in term.run(":restart")
    assert term.run("helpers.LIMIT, data") == "(1, [1, 2, 4])"
    assert _loads(project) == 1


def test_the_ordinary_loop_with_numpy_threads_restarts_without_running_the_load_again(
        spawn, project):
    # The same loop in a numpy session: OpenBLAS's thread pool runs before the load.
    pytest.importorskip("numpy", reason="numpy comes with the test extra")
    (project / "helpers.py").write_text(HELPERS)
    term = spawn("-q", env={"FRESHREPL_UNDO_CHECKPOINTS": "0"})
    term.wait_prompt(1)
    term.run("import helpers, numpy as np")
    term.run("m = np.random.default_rng(1).random((400, 400)); p = m @ m")
    term.run(LOAD)
    _edit(term, project, HELPERS_1, "reloaded helpers")
    _edit(term, project, HELPERS_2, "reloaded helpers")
    term.run("s = helpers.Summary(len(data))")
    table = term.run(":checkpoints")
    assert re.search(r"after a 2\.\d s input  \(a resume reloads helpers\.py\)", table), table
    _edit(term, project, HELPERS_3, "cannot reload helpers")
    term.wait_for("Restart the kernel and replay")
    mark = term.mark()
    term.send("y")
    text = term.wait_for("restarted from input 3 (replayed 1 input", after=mark)
    term.wait_idle()
    assert "fresh kernel" not in text[mark:]
    assert _loads(project) == 1  # the load did not run again
    assert term.run("bool(np.allclose(m @ m, p)), s") == "(True, Summary(n=3, total=0.0))"
