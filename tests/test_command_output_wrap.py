"""A meta-command's message wider than the terminal breaks between words, as the notices do.

Found using the shell at 120 columns: ``:checkpoints`` said "... takes 1 s
or mor" and "e" on the next line (the terminal broke it mid-word).
"""

from __future__ import annotations

import re
import sys

import pytest

if sys.platform != "linux":  # pragma: no cover
    pytest.skip("pty tests need Linux", allow_module_level=True)


def test_checkpoints_message_breaks_between_words(spawn):
    term = spawn("-q", cols=60)
    term.wait_prompt(1)
    shown = term.run(":checkpoints")
    lines = shown.split("\n")
    assert all(len(line) <= 60 for line in lines), shown
    words = re.findall(r"\S+", shown)
    assert " ".join(words).startswith("no checkpoints: one is taken before an input first imports")
    assert "more" in words, shown  # whole, not "mor" + "e"
    assert lines[1].startswith("  "), shown  # continued under the text


def test_the_restart_line_saying_why_it_replays_breaks_between_words(spawn, project):
    term = spawn("-q", cols=60, env={"FRESHREPL_CHECKPOINT_AFTER": "0.2"})
    term.wait_prompt(1)
    term.run("import threading, time; threading.Thread(target=time.sleep, args=(60,), "
             "name='a-worker-with-a-long-name', daemon=True).start()")
    term.run("time.sleep(0.3)")
    mark = term.mark()
    term.line(":restart")
    term.wait_for("replayed 2 inputs", after=mark)
    shown = term.text()[mark:]
    assert re.search(r"no checkpoint after input 2: a thread is running in the\s+kernel "
                     r"\(a-worker-with-a-long-name\); replaying from a fresh\s+kernel", shown), shown
    assert all(len(line) <= 60 for line in shown.split("\n"))
