"""The first kernel forked from the shell: the same kernel a spawned interpreter would be.

freshrepl forks its first kernel (faster than starting an interpreter) when
it would run on the shell's own interpreter with no flags; otherwise, and
with ``FRESHREPL_FORK_KERNEL=0``, it spawns one.  What user code can see --
``sys.path``, ``__main__``, the modules loaded, signals, the flags, the end of
the process -- must be the same either way.
"""

from __future__ import annotations

import ast
import sys

import pytest

# One line of user code printing what a fork could get wrong, as a dict literal.
PROBE = (
    "import sys, os, signal, threading, __main__; print(repr(dict("
    "path=sys.path, argv=sys.argv, main=sorted(vars(__main__)), "
    "loader=repr(__main__.__loader__), spec=__main__.__spec__, doc=__main__.__doc__, "
    "shell_modules=sorted(m for m in sys.modules if m.startswith(('freshrepl.shell', 'freshrepl.cli'))), "
    "sigint=signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
    "threads=sorted(t.name for t in threading.enumerate()), "
    "flags=tuple(sys.flags), warnoptions=sys.warnoptions, xoptions=sys._xoptions, "
    "env=sorted(k for k in os.environ if k.startswith(('FRESHREPL', 'PYTHON'))), "
    "started=sys.orig_argv[1:2])))"
)


def _probe(spawn, **env: str) -> dict:
    term = spawn("-q", env=env)
    term.wait_prompt(1)
    printed = "".join(term.run(PROBE).splitlines())  # long lines wrap at the width
    return ast.literal_eval(printed[printed.index("{'path'"):])


def test_forked_kernel_looks_like_a_spawned_one(spawn):
    forked = _probe(spawn)
    spawned = _probe(spawn, FRESHREPL_FORK_KERNEL="0")
    # The fast path was taken by default, and the switch turns it off.
    assert forked.pop("started") != ["-c"]
    assert spawned.pop("started") == ["-c"]
    spawned["env"].remove("FRESHREPL_FORK_KERNEL")
    assert forked == spawned
    assert forked["path"][0] == ""
    assert forked["shell_modules"] == []
    assert "_frozen_importlib.BuiltinImporter" in forked["loader"]


def test_forked_kernel_ends_as_python_does(spawn):
    """Non-daemon threads are waited for, then atexit handlers run, then the status."""
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("import atexit, threading, time")
    term.run("atexit.register(print, 'atexit ran')")
    term.run("t = threading.Thread(target=lambda: (time.sleep(0.3), print('thread done')))")
    term.run("t.start()")
    term.line("exit(7)")
    assert term.wait_exit() == 7
    text = term.text()
    assert text.rindex("thread done") < text.rindex("atexit ran")


def test_kernel_with_python_flags_is_spawned(spawn):
    """A flag for the kernel's interpreter cannot be given to a fork: the kernel is spawned."""
    term = spawn("-q", "-W", "error::DeprecationWarning")
    term.wait_prompt(1)
    out = term.run("import sys; print(sys.orig_argv[1:2], sys.warnoptions)")
    assert "['-W'] ['error::DeprecationWarning']" in out


@pytest.mark.skipif(sys.platform != "linux", reason="the first kernel is forked on Linux only")
def test_restarted_kernel_is_spawned_and_still_clean(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.run("x = 1")
    # --fresh: not resumed from :undo's idle checkpoint (a fork of the first kernel)
    assert "replayed 1 input" in term.run(":restart --fresh")
    out = term.run("import sys; print(sys.orig_argv[1:2], 'x' in dir())")
    assert "['-c'] True" in out


@pytest.mark.parametrize("change, forks", [
    ({}, True),
    ({"python_flags": ["-X", "dev"]}, False),
    ({"python": "/usr/bin/some-other-python3"}, False),
    ({"env": "0"}, False),
    ({"orig_argv": ["python3", "-X", "importtime", "-m", "freshrepl"]}, False),
    ({"orig_argv": ["python3", "-m", "freshrepl", "-q"]}, True),
    ({"inspect": "1"}, False),
])
def test_when_the_first_kernel_is_forked(monkeypatch, change, forks):
    from freshrepl.shell import kernel_process
    from freshrepl.shell.options import Options

    if not sys.platform.startswith("linux"):
        pytest.skip("the first kernel is forked on Linux only")
    options = Options()
    for name in ("python_flags", "python"):
        if name in change:
            setattr(options, name, change[name])
    monkeypatch.delenv("PYTHONINSPECT", raising=False)
    monkeypatch.delenv(kernel_process.FORK_KERNEL_ENV, raising=False)
    if "env" in change:
        monkeypatch.setenv(kernel_process.FORK_KERNEL_ENV, change["env"])
    if "inspect" in change:
        monkeypatch.setenv("PYTHONINSPECT", change["inspect"])
    monkeypatch.setattr(sys, "orig_argv", change.get("orig_argv", [sys.executable, "/bin/freshrepl"]))
    assert kernel_process.can_fork_kernel(options) is forks
