"""End-to-end tests of :undo: the kernel as it was before an input, from a checkpoint taken while idle."""

from __future__ import annotations

import re

from checkpoint_helpers import wait_checkpoint


def _run_and_wait(term, text: str, number: int) -> str:
    """Run input ``number`` and wait for the checkpoint taken after it, while idle."""
    output = term.run(text)
    wait_checkpoint(term, number)
    return output


def _start(spawn, **env: str):
    term = spawn("-q", env=env or None, cols=200)
    term.wait_prompt(1)
    return term


def test_undo_after_an_input_that_overwrote_a_variable(spawn, project):
    term = _start(spawn)
    _run_and_wait(term, "x = 1", 1)
    old = _run_and_wait(term, "import os; os.getpid()", 2)
    _run_and_wait(term, "x = 2; n = open('log.txt', 'a').write('ran\\n')", 3)
    output = term.run(":undo")
    assert output == ("undid input 3 (x = 2; n = open('log.txt', 'a').write('ran\\n')): the "
                      "kernel is as it was before it (from a checkpoint, nothing re-run)")
    assert "x = 2" not in term.run(":record")  # the undone input left the record
    assert term.run("x") == "1"
    assert term.run("os.getpid()") != old  # a new process: the checkpoint's
    # What it wrote to a file stays written (the README says so); nothing ran again.
    assert (project / "log.txt").read_text() == "ran\n"
    # The undone input left the record: a full replay does not bring it back.
    assert "replayed 4 inputs" in term.run(":restart --fresh")  # 1, 2 and the two above
    assert term.run("x") == "1"


def test_undo_after_an_input_that_mutated_a_numpy_array_in_place(spawn, project):
    term = _start(spawn)
    _run_and_wait(term, "import numpy as np; a = np.arange(5); b = a[1:]", 1)
    _run_and_wait(term, "a *= 10; a[0] = -1", 2)
    assert term.run("a") == "array([-1, 10, 20, 30, 40])"  # input 3
    assert "undid inputs 2–3: the kernel is as it was before it" in term.run(":undo 2")
    assert term.run("a, b") == "(array([0, 1, 2, 3, 4]), array([1, 2, 3, 4]))"
    assert term.run("b.base is a") == "True"  # the same objects, not copies


def test_undo_after_an_input_that_imported_a_module_runs_the_modules_on_disk(spawn, project):
    (project / "helpers.py").write_text("def f():\n    return 1\n")
    (project / "extra.py").write_text("LOADED = True\n")
    term = _start(spawn)
    _run_and_wait(term, "import helpers; first = helpers.f()", 1)
    _run_and_wait(term, "import extra", 2)
    mark = term.mark()
    (project / "helpers.py").write_text("def f():\n    return 2\n")  # saved after the checkpoint
    term.wait_for("reloaded helpers", after=mark)
    output = term.run(":undo")
    assert "undid input 2 (import extra): the kernel is as it was before it" in output
    assert "reloaded in the checkpoint: helpers.py" in output
    assert term.run("import sys; 'extra' in sys.modules, 'extra' in dir()") == "(False, False)"
    assert term.run("helpers.f(), first") == "(2, 1)"  # the file on disk now
    # The resumed kernel is watched: its modules reload in place.
    mark = term.mark()
    (project / "helpers.py").write_text("def f():\n    return 3\n")
    term.wait_for("reloaded helpers", after=mark)
    assert term.run("helpers.f()") == "3"


def test_undo_twice_in_a_row(spawn, project):
    term = _start(spawn)
    for number, value in enumerate((1, 2, 3), 1):
        _run_and_wait(term, f"x = {value}; xs = [*globals().get('xs', []), {value}]", number)
    assert "undid input 3 " in term.run(":undo")
    output = term.run(":undo")
    assert "undid input 2 " in output and "nothing re-run" in output
    assert term.run("x, xs") == "(1, [1])"  # input 4: numbers are never given again
    wait_checkpoint(term, 4)
    _run_and_wait(term, "x = 10", 5)
    assert "undid input 5 (x = 10): the kernel is as it was before it" in term.run(":undo")
    assert term.run("x") == "1"


def test_undo_without_a_checkpoint_right_there_replays_from_the_nearest_earlier(spawn, project):
    term = _start(spawn, FRESHREPL_UNDO_CHECKPOINTS="1")  # only the newest is kept
    for number in (1, 2, 3):
        _run_and_wait(term, f"v{number} = {number}; open('log.txt', 'a').write('{number}')", number)
    output = term.run(":undo 2")
    assert re.fullmatch(r"undid inputs 2–3: no checkpoint before it; replayed 1 input in a fresh "
                        r"kernel in [0-9.]+ s", output), output
    assert term.run("v1, 'v2' in dir(), 'v3' in dir()") == "(1, False, False)"
    assert (project / "log.txt").read_text() == "1231"  # input 1 ran again, nothing else


def test_undo_resumes_an_earlier_checkpoint_and_replays_the_inputs_between(spawn, project):
    term = _start(spawn, FRESHREPL_CHECKPOINT_AFTER="0.3", FRESHREPL_UNDO_CHECKPOINTS="0")
    term.run("import time; time.sleep(0.5); slow = 1")  # the policy's checkpoint after it
    term.run("y = 2")
    term.run("y = 3")
    output = term.run(":undo")
    assert re.fullmatch(r"undid input 3 \(y = 3\): no checkpoint right before it; resumed the one "
                        r"after input 1 and replayed 1 input in [0-9.]+ s", output), output
    assert term.run("slow, y") == "(1, 2)"


def test_no_idle_checkpoint_while_the_heap_is_over_the_checkpoint_budget(spawn, project):
    # Every page the next input writes would be copied for the checkpoint: with a heap
    # bigger than the checkpoints may hold, undo replays instead of slowing each input.
    term = _start(spawn, FRESHREPL_CHECKPOINT_MEMORY="40")
    _run_and_wait(term, "small = 1", 1)
    term.run("big = bytearray(80 * 1024 * 1024); big[::4096] = b'x' * len(big[::4096])")
    term.run("y = 3")
    assert not re.search(r"^\s*\d+\s+[23]\s", term.run(":checkpoints"), re.M)
    output = term.run(":undo")
    assert re.fullmatch(r"undid input 3 \(y = 3\): no checkpoint right before it; resumed the one "
                        r"after input 1 and replayed 1 input in [0-9.]+ s", output), output
    assert term.run("small, len(big), 'y' in dir()") == "(1, 83886080, False)"


def test_undo_says_what_it_cannot_do(spawn, project):
    term = _start(spawn)
    assert term.run(":undo") == "nothing to undo: the record is empty"
    term.run("x = 1")
    assert term.run(":undo 5") == "input 5 is not in the record (:record lists it)"
    assert term.run(":undo two") == ("error: usage: :undo [N] (N: an input's number, as :record "
                                     "lists them)")
    assert term.run("x") == "1"
