"""Keys typed while an early line starts stay in the order typed (the queue's later keys go behind).

Found using the shell on a numpy project: lines typed while ``import numpy``
ran at the early prompt came out of order (``L.append(4)`` before ``(1)``),
or an Enter landed in the wrong place.  The keys read with the running line
were pushed back behind keys the terminal had queued meanwhile.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pexpect
import pytest

if sys.platform != "linux":  # pragma: no cover
    pytest.skip("pty tests need Linux", allow_module_level=True)

SRC = str(Path(__file__).resolve().parent.parent / "src")


def test_lines_typed_in_bursts_during_a_slow_first_line_run_in_order(spawn):
    term = spawn("-q")
    term.wait_prompt(1)
    term.child.delaybeforesend = 0
    # As tmux's send-keys types: each text and each Enter a write of its own.
    for text in ["L = []; import numpy, pandas", "L.append(1)", "L.append(2)", "L.append(3)",
                 "L.append(4)"]:
        term.send(text)
        term.send("\r")
    term.wait_prompt(6, timeout=60)
    term.wait_idle(timeout=60)
    assert term.run("L", timeout=30) == "[1, 2, 3, 4]"
    assert term.text().count(">>> L.append(3)\n") == 1


def test_pushed_keys_go_ahead_of_keys_queued_since():
    script = textwrap.dedent("""
        import fcntl, os, sys, termios, time, struct
        from freshrepl.shell.terminal import push_input
        print("ready", flush=True)
        while not struct.unpack("i", fcntl.ioctl(0, termios.FIONREAD, b"\\0\\0\\0\\0"))[0]:
            time.sleep(0.01)
        rest = push_input(b"first\\r")
        if isinstance(rest, int):  # the count pushed, as it once returned
            rest = b"first\\r"[rest:]
        if rest:
            print("NOT PUSHED", rest, flush=True)
        got = b""
        while got.count(b"\\n") < 2:
            got += os.read(0, 100)
        print("GOT", repr(got), flush=True)
    """)
    child = pexpect.spawn(sys.executable, ["-c", script], env={"PYTHONPATH": SRC}, timeout=10)
    try:
        child.expect("ready")
        child.send("later\r")
        index = child.expect(["GOT (.*)\r\n", "NOT PUSHED"])
        if index == 1:
            pytest.skip("this system does not let a program push keys (TIOCSTI)")
        assert child.match.group(1).decode() == repr(b"first\nlater\n")
    finally:
        child.close(force=True)
