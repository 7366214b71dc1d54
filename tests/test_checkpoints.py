"""End-to-end tests of checkpointed restarts: resume a paused fork, replay only what came after."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest
from checkpoint_helpers import define_note, logged

# Inputs of 0.5 s count as slow here, so the tests stay quick.  The policy's
# checkpoints alone: those :undo takes while idle are tested in test_undo.py.
FAST = {"FRESHREPL_CHECKPOINT_AFTER": "0.3", "FRESHREPL_UNDO_CHECKPOINTS": "0"}
SLOW_INPUT = "import time; time.sleep(0.5); note('slow'); big = list(range(1000))"
POINTS = "from dataclasses import dataclass\n\n@dataclass\nclass P:\n    x: int\n"
POINTS_WITH_Y = POINTS + "    y: int = 2\n"
_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+[0-9.]+ MB\s+(.*)$", re.M)


def _start(spawn, project, *args: str, env: dict[str, str] | None = None):
    """A shell whose inputs can log to ``log.txt`` through ``note``."""
    (project / "points.py").write_text(POINTS)
    term = spawn("-q", *args, env={**FAST, **(env or {})})
    term.wait_prompt(1)
    define_note(term, project)
    return term



def _checkpoints(term) -> list[tuple[int, int, str]]:
    """(position, pid, why) of each checkpoint ``:checkpoints`` lists."""
    return [(int(m[2]), int(m[3]), m[4]) for m in _ROW.finditer(term.run(":checkpoints"))]


def _kernel_pid(term) -> int:
    return int(term.run("__import__('os').getpid()"))


def _unsafe_edit(term, project) -> None:
    (project / "points.py").write_text(POINTS_WITH_Y)
    term.wait_for("Restart the kernel and replay")
    term.send("y")


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _assert_all_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all(_gone(p) for p in pids):
        time.sleep(0.05)
    assert [p for p in pids if not _gone(p)] == []


def test_unsafe_edit_after_slow_input_resumes_without_rerunning_it(spawn, project):
    term = _start(spawn, project)
    term.run(SLOW_INPUT)
    term.run("import points")
    term.run("p = points.P(1)")
    old = _kernel_pid(term)
    assert [why for _, _, why in _checkpoints(term)] == ["after a 0.5 s input"]
    _unsafe_edit(term, project)
    text = term.wait_for(re.compile(r"restarted from input 2 \(replayed 3 inputs in [0-9.]+ s\)"))
    term.wait_idle()
    assert "replaying from a fresh kernel" not in text
    assert logged(project) == ["slow"]  # the slow input did not run again
    assert term.run("p, len(big)") == "(P(x=1, y=2), 1000)"
    new = _kernel_pid(term)
    assert new != old
    _assert_all_gone([old])
    # The resumed kernel is the one the watcher follows: a safe edit reloads in place.
    (project / "points.py").write_text(POINTS_WITH_Y + "\n    def norm(self):\n        return 7\n")
    term.wait_for("reloaded points")
    assert term.run("p.norm()") == "7"


def test_checkpoint_that_loaded_the_edited_module_is_passed_over(spawn, project):
    term = _start(spawn, project)
    term.run("import time; time.sleep(0.2)")  # fast inputs, but together worth
    term.run("time.sleep(0.2)")  # keeping: a checkpoint comes before the import
    term.run("import points")  # checkpoint before it (after input 3)
    term.run(SLOW_INPUT)  # checkpoint after it: holds the old points
    term.run("p = points.P(3)")
    assert [pos for pos, _, _ in _checkpoints(term)] == [3, 5]
    _unsafe_edit(term, project)
    term.wait_for("restarted from input 3 (replayed 3 inputs")
    term.wait_idle()
    assert logged(project) == ["slow", "slow"]
    assert term.run("p") == "P(x=3, y=2)"


def test_no_checkpoint_before_an_import_that_a_replay_reaches_cheaply(spawn, project):
    """A checkpoint costs a fork (and slows the import after it): it must save more than that."""
    term = _start(spawn, project)
    term.run("x = 1")
    term.run("import points")
    assert _checkpoints(term) == []
    _unsafe_edit(term, project)
    term.wait_for("replayed 3 inputs")
    term.wait_idle()
    assert term.run("points.P(1), x") == "(P(x=1, y=2), 1)"


def test_failed_inputs_do_not_count_towards_a_checkpoint(spawn, project):
    """A replay skips failed inputs, so their time is not what a checkpoint would save."""
    term = _start(spawn, project)
    term.run("import time")
    for _ in range(2):
        assert "ZeroDivisionError" in term.run("time.sleep(0.2); 1/0")
    term.run("import points")
    assert _checkpoints(term) == []


def test_segfault_after_slow_input_resumes_the_checkpoint_before_it(spawn, project):
    term = _start(spawn, project)
    term.run(SLOW_INPUT)
    term.run("x = 5")
    term.line("import ctypes; ctypes.string_at(0)")
    term.wait_for("kernel died (SIGSEGV)")
    term.wait_for("Restart the kernel and replay 3 inputs (1–3)? [Y/n]")
    term.send("y")
    term.wait_for(re.compile(r"restarted from input 2 \(replayed 1 input in"))
    term.wait_idle()
    assert logged(project) == ["slow"]
    assert term.run("x, len(big)") == "(5, 1000)"


def test_fresh_option_replays_everything_from_a_new_kernel(spawn, project):
    term = _start(spawn, project)
    term.run(SLOW_INPUT)
    term.run("y = 2")
    output = term.run(":restart --fresh")
    assert "replayed 3 inputs" in output and "restarted from" not in output
    assert logged(project) == ["slow", "slow"]
    assert term.run("y, len(big)") == "(2, 1000)"
    # A plain :restart still resumes (the fresh replay took a checkpoint of its own).
    assert "restarted from input 2 (replayed 2 inputs" in term.run(":restart")
    assert logged(project) == ["slow", "slow"]
    assert "empty" in term.run(":restart --no-replay")
    assert "NameError" in term.run("y")


def test_config_file_sets_the_budget_and_fresh_restarts(spawn, project, home):
    config = home / "config" / "freshrepl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('checkpoint_after_ms = 300\nrestart_from = "fresh"\n')
    (project / "points.py").write_text(POINTS)
    term = spawn("-q")
    term.wait_prompt(1)
    define_note(term, project)
    term.run(SLOW_INPUT)
    term.run("import points")
    # (:undo's idle checkpoint after input 1 may be listed too)
    assert "after a 0.5 s input" in [why for _, _, why in _checkpoints(term)]
    _unsafe_edit(term, project)  # the restart question: answered from a fresh kernel
    term.wait_for(re.compile(r"replayed 3 inputs in [0-9.]+ s"))
    term.wait_idle()
    assert logged(project) == ["slow", "slow"]
    assert "restarted from" not in term.text()
    config.write_text("checkpoints = 0\n")
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import time; time.sleep(0.5)")
    assert "no checkpoints" in term.run(":checkpoints") or _checkpoints(term) == []


def test_background_thread_means_no_checkpoint_and_a_fresh_replay_that_says_why(spawn, project):
    term = _start(spawn, project)
    term.run("import threading, time; threading.Thread(target=time.sleep, args=(600,), "
             "name='worker', daemon=True).start()")
    term.run(SLOW_INPUT)
    assert "a thread is running in the kernel (worker)" in term.run(":checkpoints")
    output = term.run(":restart")
    assert ("no checkpoint after input 3: a thread is running in the kernel (worker); "
            "replaying from a fresh kernel\n") in output
    assert "replayed 3 inputs" in output
    assert logged(project) == ["slow", "slow"]
    assert term.run("len(big)") == "1000"


def test_resumed_kernel_keeps_argv_cwd_script_results_and_the_terminal(spawn, project):
    (project / "script.py").write_text("import sys\nFROM_SCRIPT = sys.argv[1:]\n")
    term = _start(spawn, project, "-i", "script.py", "a1")
    term.run(SLOW_INPUT)
    term.run("import points")
    old_checkpoints = [pid for _, pid, _ in _checkpoints(term)]
    oom_score = "open('/proc/self/oom_score_adj').read().strip()"
    kernel_oom_score = term.run(oom_score)
    with open(f"/proc/{old_checkpoints[0]}/oom_score_adj") as f:
        assert f.read().strip() == "800"  # when memory runs out, checkpoints go first
    _unsafe_edit(term, project)
    term.wait_for("restarted from input 2 (replayed 2 inputs")
    term.wait_idle()
    assert term.run("FROM_SCRIPT, __import__('os').getcwd()") == f"(['a1'], {str(project)!r})"
    assert term.run(oom_score) == kernel_oom_score
    # Standard input is the terminal, and no paused checkpoint reads it.
    term.line("line = input('say? ')")
    term.wait_for(re.compile(r"^say\?$", re.M))
    term.line("typed")
    term.wait_idle()
    assert term.run("line") == "'typed'"
    assert [pid for _, pid, _ in _checkpoints(term)][: len(old_checkpoints)] == old_checkpoints


def test_memory_budget_drops_a_checkpoint_the_kernel_has_rewritten(spawn, project):
    term = _start(spawn, project, env={"FRESHREPL_CHECKPOINT_MEMORY": "40"})
    term.run("import time; buf = bytearray(b'a') * (64 << 20); time.sleep(0.5)")
    assert len(_checkpoints(term)) == 1
    term.run("any(buf.__setitem__(i, 98) for i in range(0, len(buf), 4096))")
    output = term.run(":checkpoints")
    assert "checkpoint #1 was dropped: it held" in output and "(limit 40 MB)" in output
    # Only a checkpoint after the rewrite may stand (on a busy machine it takes 0.3 s).
    assert [pos for pos, _, _ in _checkpoints(term)] in ([], [3])


def test_a_kernel_with_thousands_of_modules_is_checkpointed(spawn, project):
    # Its listing of files (some 250 KB) is bigger than a notice packet can be.
    package = project / "many_modules_with_rather_long_names"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for i in range(2000):
        (package / f"module_number_{i:04d}.py").write_text(f"VALUE = {i}\n")
    names = ", ".join(f"module_number_{i:04d}" for i in range(2000))
    (project / "load_many.py").write_text(
        f"import time\nfrom many_modules_with_rather_long_names import {names}\ntime.sleep(0.4)\n")
    term = _start(spawn, project)
    term.run("import load_many")
    checkpoints = _checkpoints(term)
    assert len(checkpoints) == 1 and re.fullmatch(r"after a [0-9.]+ s input", checkpoints[0][2])
    term.run("lost = 1")
    assert "restarted from input 2 (replayed 1 input" in term.run(":restart")
    assert term.run("load_many.module_number_1999.VALUE + lost") == "2000"


def test_at_most_n_checkpoints(spawn, project):
    term = _start(spawn, project, env={"FRESHREPL_CHECKPOINTS": "2"})
    for i in range(3):
        term.run(f"import time; time.sleep(0.4); v{i} = {i}")
    assert [pos for pos, _, _ in _checkpoints(term)] == [3, 4]
    assert "restarted from input 4 (replayed 0 inputs" in term.run(":restart")
    assert term.run("v0 + v1 + v2") == "3"


def _session_with_checkpoints(spawn, project) -> tuple[object, list[int]]:
    term = _start(spawn, project)
    term.run(SLOW_INPUT)
    term.run("import points")
    term.run("y = 1")
    kernel = _kernel_pid(term)
    checkpoints = [pid for _, pid, _ in _checkpoints(term)]
    assert len(checkpoints) == 1
    # A resumed kernel and its own checkpoint, too.
    _unsafe_edit(term, project)
    term.wait_for("restarted from input 2")
    term.run("import time; time.sleep(0.5)")
    pids = [kernel, _kernel_pid(term), *checkpoints, *[pid for _, pid, _ in _checkpoints(term)]]
    assert len(set(pids)) == 4
    return term, pids


@pytest.mark.parametrize("how", ["ctrl-d", "sigkill", "terminal closed"])
def test_no_process_outlives_the_shell(spawn, project, how):
    term, pids = _session_with_checkpoints(spawn, project)
    if how == "ctrl-d":
        term.send("\x04")
        assert term.wait_exit() == 0
    elif how == "sigkill":
        os.kill(term.child.pid, signal.SIGKILL)
        term.wait_exit()
    else:
        term.child.ptyproc.fileobj.close()
        deadline = time.monotonic() + 5
        while term.child.isalive() and time.monotonic() < deadline:
            time.sleep(0.05)
    _assert_all_gone([term.child.pid, *pids])


def test_only_the_live_kernel_runs_user_code_at_exit(spawn, project):
    term = _start(spawn, project)
    term.run("import atexit; atexit.register(note, 'bye')")
    term.run(SLOW_INPUT)
    assert "restarted from input 3 (replayed 0 inputs" in term.run(":restart")
    term.run("import time; time.sleep(0.5)")  # one more checkpoint, of the resumed kernel
    assert len(_checkpoints(term)) == 2
    term.send("\x04")
    assert term.wait_exit() == 0
    # Killed kernels and paused checkpoints end without running atexit handlers.
    assert logged(project) == ["slow", "bye"]


def test_a_killed_checkpoint_is_not_trusted(spawn, project):
    term = _start(spawn, project)
    term.run(SLOW_INPUT)
    [(_, pid, _)] = _checkpoints(term)
    os.kill(pid, signal.SIGKILL)
    output = term.run(":restart")
    assert "checkpoint #1 " in output and "; replaying from a fresh kernel\n" in output
    assert "replayed 2 inputs" in output
    assert logged(project) == ["slow", "slow"]
    assert term.run("len(big)") == "1000"


def test_a_slow_dash_i_script_is_not_run_again(spawn, project):
    (project / "points.py").write_text(POINTS)
    (project / "script.py").write_text(
        "import time\ntime.sleep(0.5)\n"
        f"open({str(project / 'log.txt')!r}, 'a').write('script' + chr(10))\nLOADED = 42\n"
    )
    term = spawn("-q", "-i", "script.py", env=FAST)
    term.wait_prompt(1)
    term.run("import points")
    term.run("p = points.P(LOADED)")
    assert [why for _, _, why in _checkpoints(term)] == ["after a 0.5 s start-up"]
    _unsafe_edit(term, project)
    term.wait_for("restarted from before input 1 (replayed 2 inputs")
    term.wait_idle()
    assert logged(project) == ["script"]
    assert term.run("p") == "P(x=42, y=2)"
