"""The README's screenshot is rendered from a real session: the script runs and shows the edit."""

from __future__ import annotations

import subprocess
import sys
import xml.dom.minidom
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "render_session.py"


def test_render_session_draws_the_edit_being_picked_up(tmp_path):
    out = tmp_path / "session.svg"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True,
                   timeout=120)
    texts = [node.firstChild.data for node in xml.dom.minidom.parse(str(out)).getElementsByTagName("text")
             if node.firstChild is not None]
    drawn = " ".join(texts)
    assert "'Hello, Ada'" in drawn and "reloaded greeter" in drawn and "'Bonjour, Ada!'" in drawn
    assert drawn.index("'Hello, Ada'") < drawn.index("reloaded greeter") < drawn.index("'Bonjour, Ada!'")
