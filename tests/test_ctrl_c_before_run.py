"""A Ctrl-C pressed after Enter but before the kernel took the input up is not lost.

The terminal sends Ctrl-C as a signal from the moment the shell hands it over
for an input; the kernel may still be finishing a reload or its idle work.
Here the signal is sent to a real kernel between inputs (as the terminal
would), then the input is asked for with the time the shell handed over.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from kernels import running_kernel


def _interrupt_between_inputs(pid: int) -> None:
    # The idle kernel's main thread waits in select(): the signal is taken in (the
    # wait ends, the handler runs) before the request sent after it is read.
    os.kill(pid, signal.SIGINT)


def test_a_ctrl_c_pressed_for_the_input_interrupts_it_before_it_runs(capfd):
    with running_kernel() as kernel:
        assert kernel.run("kept = 'yes'").ok
        handed_over = time.monotonic()
        _interrupt_between_inputs(kernel.pid)
        reply = kernel.run("ran = True", since=handed_over)
        assert not reply.ok and reply.exit is None
        assert "KeyboardInterrupt" in capfd.readouterr().err
        assert kernel.run("print('ran' in dir(), kept)").ok
        assert capfd.readouterr().out == "False yes\n"


@pytest.mark.parametrize("since", ["before", None])
def test_a_ctrl_c_from_before_the_input_was_handed_over_is_not_its(capfd, since):
    # The Ctrl-C of an input that had just ended, or one met while replaying.
    with running_kernel() as kernel:
        _interrupt_between_inputs(kernel.pid)
        kernel.modules()  # a round trip: the kernel has noted the Ctrl-C by now
        reply = kernel.run("print('ran')", since=time.monotonic() if since else None)
        assert reply.ok
        assert capfd.readouterr().out == "ran\n"


def test_a_ctrl_c_goes_to_the_handler_user_code_installed(capfd):
    with running_kernel() as kernel:
        assert kernel.run("import signal; _ = signal.signal(signal.SIGINT, "
                          "lambda *a: print('handled'))").ok
        handed_over = time.monotonic()
        _interrupt_between_inputs(kernel.pid)
        assert kernel.run("print('ran')", since=handed_over).ok
        assert capfd.readouterr().out == "handled\nran\n"
