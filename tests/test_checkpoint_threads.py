"""Checkpoints of kernels with native thread pools: numpy's OpenBLAS quieted for the fork, unsafe runtimes named."""

from __future__ import annotations

import os
import re

import pytest

from freshrepl.kernel import fork_safety

THREADS = "len(__import__('os').listdir('/proc/self/task'))"
SETUP = "import numpy as np; a = np.random.default_rng(0).random((700, 700)); b = a @ a"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS runs one thread on one core")
def test_a_numpy_session_with_a_running_blas_pool_is_checkpointed_and_resumes(spawn, project):
    term = spawn("-q", env={"FRESHREPL_CHECKPOINT_AFTER": "0.3", "FRESHREPL_UNDO_CHECKPOINTS": "0"})
    term.wait_prompt(1)
    term.run(SETUP)
    assert int(term.run(THREADS)) >= 2  # OpenBLAS's pool is up
    output = term.run("import time; time.sleep(0.5); c = a @ a")
    assert "no checkpoint" not in output
    table = term.run(":checkpoints")
    assert re.search(r"^\s+\d+\s+3\s.* after a 0\.\d s input$", table, re.M), table
    assert "no checkpoint" not in table
    # The live kernel goes on computing threaded products right (its pool comes back).
    assert term.run("bool(np.allclose(a @ a, b)), bool((c == b).all())") == "(True, True)"
    assert int(term.run(THREADS)) >= 2
    output = term.run(":restart", timeout=30)
    assert "restarted from input 3 (replayed 2 inputs" in output
    # The resumed kernel: a threaded product, right, and no hang (run's timeout).
    assert term.run("d = a @ a; bool(np.allclose(d, b))", timeout=30) == "True"
    assert int(term.run(THREADS)) >= 2
    assert term.run("float(abs(np.linalg.inv(a) @ a - np.eye(700)).max()) < 1e-6") == "True"


def test_gnu_openmp_threads_are_named_with_the_setting_that_helps(monkeypatch):
    monkeypatch.setattr(fork_safety, "_python_threads", lambda: [])
    monkeypatch.setattr(fork_safety, "_native_threads", lambda: 3)
    monkeypatch.setattr(fork_safety, "_loaded_libraries",
                        lambda: {"/site-packages/scikit_learn.libs/libgomp-a34b3233.so.1.0.0"})
    reason = fork_safety.fork_unsafe_reason()
    assert reason == ("GNU OpenMP (libgomp) threads are running (not safe to fork after use); "
                      "OMP_NUM_THREADS=1 before starting freshrepl keeps them away")


def test_unknown_native_threads_are_counted(monkeypatch):
    monkeypatch.setattr(fork_safety, "_python_threads", lambda: [])
    monkeypatch.setattr(fork_safety, "_native_threads", lambda: 2)
    monkeypatch.setattr(fork_safety, "_loaded_libraries", lambda: {"/lib/libfoo.so"})
    assert (fork_safety.fork_unsafe_reason() or "").startswith(
        "2 threads started by native code are running; if it is a library's pool, "
        "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 before starting")


def test_a_skipped_checkpoint_is_told_once_with_the_inputs_number(spawn, project):
    term = spawn("-q", env={"FRESHREPL_CHECKPOINT_AFTER": "0.3"})
    term.wait_prompt(1)
    term.run("import threading, time; threading.Thread(target=time.sleep, args=(600,), "
             "name='worker', daemon=True).start()")
    output = term.run("time.sleep(0.5)")
    assert output == ("freshrepl: no checkpoint after input 2: a thread is running in the kernel "
                      "(worker)")
    assert "no checkpoint" not in term.run("time.sleep(0.5)")


def test_openblas_without_a_shutdown_call_is_trusted_to_its_fork_handler_then_checked(monkeypatch):
    openblas = "/site-packages/numpy.libs/libscipy_openblas64_-4b78795a.so"
    assert fork_safety._openblas_alone({openblas, "/lib/libc.so.6"})
    assert not fork_safety._openblas_alone({openblas, "/x/libgomp-a34b3233.so.1.0.0"})
    assert not fork_safety._openblas_alone({"/lib/libc.so.6"})
    monkeypatch.setattr(fork_safety, "_python_threads", lambda: [])
    monkeypatch.setattr(fork_safety, "_native_threads", lambda: 1)
    monkeypatch.setattr(fork_safety, "_loaded_libraries", lambda: {openblas})
    monkeypatch.setattr(fork_safety, "quiet_openblas", lambda: False)  # no such call
    assert fork_safety.fork_unsafe_reason() is None  # fork, then look
    # A thread still there after the fork was not OpenBLAS's pool: the child is discarded.
    assert (fork_safety.threads_left_after_fork() or "").startswith(
        "1 thread started by native code is running")
    monkeypatch.setattr(fork_safety, "_native_threads", lambda: 0)
    assert fork_safety.threads_left_after_fork() is None
