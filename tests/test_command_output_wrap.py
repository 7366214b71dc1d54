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
