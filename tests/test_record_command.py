"""End-to-end: `:record` lists what a restart replays, by the numbers every message uses; `:drop` takes one out."""

from __future__ import annotations

import re

from checkpoint_helpers import define_note, logged

# Inputs of 0.5 s count as slow here, so the tests stay quick.  The policy's
# checkpoints alone: those :undo takes while idle are tested in test_undo.py.
FAST = {"FRESHREPL_CHECKPOINT_AFTER": "0.3", "FRESHREPL_UNDO_CHECKPOINTS": "0"}
SLOW_INPUT = "import time; time.sleep(0.5); note('slow'); big = 1000"


def _start(spawn, project):
    """A shell whose inputs can log to ``log.txt`` through ``note`` (input 1)."""
    term = spawn("-q", env=FAST, cols=200)
    term.wait_prompt(1)
    define_note(term, project)
    return term



def _rows(listing: str) -> list[tuple[int, str, str]]:
    """(number, result, first line) of each input ``:record`` lists."""
    return [(int(m[1]), m[2], m[3]) for m in re.finditer(r"^\s*(\d+)  (ok|failed)\s+(.*)$",
                                                         listing, re.M)]


def test_record_lists_numbers_results_and_first_lines_as_the_restart_question_counts(spawn, project):
    term = _start(spawn, project)
    term.run("a = 1")
    term.run("1/0")
    prompts = term.prompts()
    term.line("def f():")
    term.line("return a")
    term.line("")
    term.wait_prompt(prompts + 1)
    term.wait_idle()
    listing = term.run(":record")
    assert _rows(listing)[1:] == [(2, "ok", "a = 1"), (3, "failed", "1/0"),
                                  (4, "ok", "def f():  (+1 line)")]
    assert "4 inputs; a restart replays the 3 that succeeded (:drop N takes one out)" in listing
    term.line("import os; os._exit(3)")
    term.wait_for("kernel died (exit status 3) in input 5, which is not replayed")
    term.wait_for("Restart the kernel and replay 3 inputs (1–4)? [Y/n]")
    term.send("y")
    term.wait_for("replayed 3 inputs")
    term.wait_idle()
    assert term.run("f()") == "1"
    assert [n for n, _, _ in _rows(term.run(":record"))] == [1, 2, 3, 4, 6]  # 5 is not reused


def test_record_shows_the_checkpoints_between_inputs_and_drop_ends_those_holding_it(spawn, project):
    term = _start(spawn, project)
    term.run(SLOW_INPUT)
    term.run("x = big + 1")
    listing = term.run(":record")
    assert re.search(r"^\s+2  ok\s+import time.*\n\s+── checkpoint #1 \(after a 0\.\d s input\)\n"
                     r"\s+3  ok\s+x = big \+ 1$", listing, re.M)
    said = term.run(":drop 2")
    assert said == ("dropped input 2 (import time; time.sleep(0.5); note('slow'); big = 1000): "
                    "a restart will not replay it; this kernel keeps its effects; "
                    "1 checkpoint holding them ended")
    listing = term.run(":record")
    assert [n for n, _, _ in _rows(listing)] == [1, 3] and "checkpoint" not in listing
    assert "this kernel still holds what the dropped inputs did" in listing
    assert term.run("x") == "1001"  # the live kernel is untouched
    output = term.run(":restart")
    assert "replay stopped at input 3 (x = big + 1)" in output  # `big` came from input 2
    assert logged(project) == ["slow"]  # input 2 was not replayed
    listing = term.run(":record")
    assert [n for n, _, _ in _rows(listing)] == [1] and "still holds" not in listing


def test_drop_refuses_bad_numbers_and_loses_nothing(spawn, project):
    term = _start(spawn, project)
    term.run("a = 1")
    assert term.run(":drop") == "error: usage: :drop N [N…] (input numbers, as :record lists them)"
    assert "usage" in term.run(":drop two")
    assert "usage" in term.run(":drop 0")
    assert term.run(":drop 2 9") == "error: no input 9 in the record (:record lists them)"
    assert [n for n, _, _ in _rows(term.run(":record"))] == [1, 2]
    assert term.run(":record all") == "error: :record takes no arguments"
    assert "dropped input 2 (a = 1)" in term.run(":drop 2")
    assert term.run(":drop 2") == "error: no input 2 in the record (:record lists them)"


def test_numbers_outlive_an_emptied_record_in_every_message(spawn, project):
    term = _start(spawn, project)
    term.run("a = 1")
    term.run(":restart --no-replay")
    listing = term.run(":record")
    assert "the record is empty: a restart replays nothing" in listing
    define_note(term, project)
    term.run("import threading, time; threading.Thread(target=time.sleep, args=(600,), "
             "name='worker', daemon=True).start()")
    term.run(SLOW_INPUT)
    # Inputs 3 to 5 (1 and 2 left the record): the messages say 5, not the third input.
    assert [n for n, _, _ in _rows(term.run(":record"))] == [3, 4, 5]
    output = term.run(":restart")
    assert "no checkpoint after input 5: a thread is running in the kernel (worker)" in output
    assert "replayed 3 inputs" in output
