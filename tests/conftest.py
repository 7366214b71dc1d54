"""Fixtures shared by the end-to-end tests: an isolated home and a way to start freshrepl."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import term as term_module  # noqa: E402
from term import JOB_PROMPT, Term, isolated_env  # noqa: E402


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process reloaders cache compiled modules under XDG_CACHE_HOME: never the real one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The working directory the shell starts in (where user modules live)."""
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def spawn(project: Path, home: Path) -> Iterator[Callable[..., Term]]:
    """Start freshrepl in a pty: ``spawn("-q", env={...})``."""
    started: list[Term] = []

    def start(*args: str, env: dict[str, str] | None = None, rows: int = 40,
              cols: int = 110, cwd: Path | None = None) -> Term:
        term = Term(list(args), cwd or project, isolated_env(home, **(env or {})), rows, cols)
        started.append(term)
        return term

    yield start
    for term in started:
        term.close()


@pytest.fixture
def job_shell(spawn: Callable[..., Term], monkeypatch: pytest.MonkeyPatch) -> Term:
    """An interactive bash (job control on) in the pty, running ``freshrepl -q``."""
    import shlex

    freshrepl = " ".join(shlex.quote(part) for part in term_module.freshrepl_command())
    monkeypatch.setattr(term_module, "freshrepl_command", lambda: ["bash"])
    shell = spawn("--norc", "--noprofile", "-i", env={"PS1": JOB_PROMPT + " "})
    shell.wait_for(JOB_PROMPT)
    shell.line(f"{freshrepl} -q")
    shell.wait_prompt(1)
    return shell
