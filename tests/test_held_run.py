"""An input sent ahead runs only on the shell's go (issue 19: Enter at a person's pace).

The shell sends an accepted input while the editor still draws it as
entered; the kernel must run nothing (and so write nothing) until told the
screen is ready, must drop it when told so, and the channel stays the
input's meanwhile (help requests wait).
"""

from __future__ import annotations

import pytest
from kernels import running_kernel


def test_a_held_input_runs_on_the_go(tmp_path):
    mark = tmp_path / "ran"
    with running_kernel() as client:
        client.hold_run(f"open({str(mark)!r}, 'w').write('yes')")
        assert client.holding
        reply = client.release_run()
        assert reply.ok and not client.holding
        assert mark.read_text() == "yes"


def test_a_dropped_input_never_runs_and_the_channel_goes_on(tmp_path):
    mark = tmp_path / "ran"
    with running_kernel() as client:
        client.hold_run(f"open({str(mark)!r}, 'w').write('yes')")
        client.release_run(run=False)
        reply = client.run(f"import os; assert not os.path.exists({str(mark)!r})")
        assert reply.ok
        assert not mark.exists()


def test_help_waits_while_an_input_is_held():
    with running_kernel() as client:
        client.hold_run("x = 2")
        with pytest.raises(TimeoutError):
            client.complete("pri", timeout=0.05)
        assert client.release_run().ok
        assert client.run("assert x == 2").ok
