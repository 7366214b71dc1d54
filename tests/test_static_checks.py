"""Static checks the suite keeps honest: mypy (configured in pyproject.toml) and ruff."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_errors():
    pytest.importorskip("mypy", reason="mypy comes with the test extra")
    env = dict(os.environ, MYPY_CACHE_DIR=str(ROOT / ".mypy_cache"))
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_finds_nothing():
    pytest.importorskip("ruff", reason="ruff comes with the test extra")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "bench", "tools"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
