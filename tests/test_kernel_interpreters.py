"""A real kernel process on each Python version: malformed input never breaks the session.

Python 3.13.0's ``code`` module itself fails on some inputs (a NUL byte); the
kernel must answer every later input as python3 would.  The kernel runs
through ``KernelClient`` as in a session; its output is read from fds 1 and 2.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kernels import running_kernel

from freshrepl import protocol
from freshrepl.shell.kernel_client import KernelClient

INTERPRETERS = [
    path for path in (
        "/root/.pyenv/versions/3.13.0/bin/python3",
        "/root/.pyenv/versions/3.12.1/bin/python3",
        "/root/.pyenv/versions/3.11.7/bin/python3",
        "/root/.pyenv/versions/3.10.13/bin/python3",
    ) if os.path.exists(path)
]


@pytest.fixture(autouse=True)
def our_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels import freshrepl from this tree, never from an installed copy."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent / "src"))


def kernel_on(python: str) -> Any:
    """A kernel started now: inside the test, so its fds 1 and 2 are the ones capfd reads."""
    return running_kernel(python=python, color=False)


def answers(kernel: KernelClient, capfd: pytest.CaptureFixture[str], source: str) -> tuple[
        protocol.RunReply, str, str]:
    reply = kernel.run(source)
    out, err = capfd.readouterr()
    return reply, out, err


interpreters = pytest.mark.parametrize("python", INTERPRETERS, ids=lambda p: p.split("/")[-3])


@interpreters
def test_null_byte_gets_pythons_error(python, capfd):
    with kernel_on(python) as kernel:
        reply, _out, err = answers(kernel, capfd, "x = 'a\x00b'")
        assert not reply.ok
        assert "source code string cannot contain null bytes" in err
        assert "internal error" not in err
        reply, out, err = answers(kernel, capfd, "1 + 1")
        assert reply.ok and (out, err) == ("2\n", "")


CONTROL = st.characters(min_codepoint=0, max_codepoint=31) | st.sampled_from("\x7f\u2028\ufeff\udc80")
SOURCE = st.text(CONTROL | st.sampled_from("()[]{}:'\"\\#=+ ax1\n\tawait def if"), max_size=30)


@interpreters
def test_any_text_with_control_characters_leaves_the_kernel_healthy(python, capfd):
    @settings(max_examples=60, deadline=None)
    @given(head=SOURCE, control=CONTROL, tail=SOURCE)
    def check(head: str, control: str, tail: str) -> None:
        source = head + control + tail
        assume(source.strip() not in ("exit", "quit"))
        reply, _out, err = answers(kernel, capfd, source)
        assert reply.exit is None
        assert "internal error" not in err
        reply, out, _err = answers(kernel, capfd, "1 + 1")
        assert reply.ok and out.endswith("2\n")

    with kernel_on(python) as kernel:
        check()


@interpreters
def test_features_on_each_version(python, capfd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("")
    with kernel_on(python) as kernel:
        reply, out, _err = answers(kernel, capfd, "import asyncio\nd = {'alpha': 1}")
        assert reply.ok
        reply, out, err = answers(kernel, capfd, "t = asyncio.create_task(asyncio.sleep(0, 5))")
        assert reply.ok, err
        reply, out, _err = answers(kernel, capfd, "await t")
        assert reply.ok and out == "5\n"
        assert kernel.complete("d['al", timeout=10).matches == ["alpha']"]
        assert kernel.complete("open('no", timeout=10).matches == ["notes.txt"]
        assert kernel.complete("d.ke", timeout=10).matches == ["d.keys("]
        signature = kernel.signature("d.get(", timeout=10)
        assert signature.signatures == ["get(key, default=None, /)"]
        doc = kernel.doc("len", timeout=10)
        assert doc.found and doc.text.startswith("len(obj, /)\n\n")
        assert kernel.run("exit").exit == 0
