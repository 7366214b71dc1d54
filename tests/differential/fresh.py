"""The fresh-interpreter oracle: what a new process that imports the files would observe.

``FreshOracle`` starts one helper interpreter (the same one the kernel runs)
that imports the heavy libraries once (pydantic, SQLAlchemy, ...) and then,
for every request, forks a child: the child puts the case's directory on
``sys.path``, runs the setup statements in a new ``__main__`` and evaluates
the probes.  Nothing of a case was ever imported in the helper, so each child
is a fresh process as far as the case's modules go; forking keeps it cheap.
The helper and its children never write bytecode (``-B``), and the hash seed
is fixed (as in the kernel) so that set and dict orders agree.

This file is also the helper's program: ``serve()`` runs when it is executed.
Requests and replies are JSON lines on the helper's stdin and stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

try:
    from .probes import HELPERS
except ImportError:  # in the helper process, which runs this file's text alone
    HELPERS = ""

HASH_SEED = "0"


@dataclass
class FreshRun:
    """What one fresh interpreter saw: setup errors by statement index, probe results."""

    setup_errors: dict[int, str] = field(default_factory=dict)
    results: list[str] = field(default_factory=list)
    failure: str = ""  # the child timed out or crashed: nothing was observed


class FreshOracle:
    """A helper process that forks one fresh interpreter per request."""

    def __init__(self, python: str = sys.executable, preload: list[str] | None = None,
                 timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._scratch = tempfile.TemporaryDirectory(prefix="dcheck-fresh-")
        env = dict(os.environ, PYTHONHASHSEED=HASH_SEED, PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTHONINSPECT", None)
        program = Path(__file__).read_text(encoding="utf-8")
        program += f"\n_HELPERS = {HELPERS!r}\nserve()\n"
        self.process = subprocess.Popen(
            [python, "-B", "-c", program, json.dumps(preload or [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=self._scratch.name, env=env, text=True,
        )
        self._count = 0
        self._out = Path(self._scratch.name)

    def run(self, directory: Path, setup: list[str], probes: list[str]) -> FreshRun:
        self.submit(directory, setup, probes)
        return self.result()

    def submit(self, directory: Path, setup: list[str], probes: list[str]) -> None:
        """Start a fresh interpreter on the files as they are now; ``result()`` waits for it.

        It runs while the caller works with the kernel: the two processes overlap.
        """
        self._count += 1
        self._out = Path(self._scratch.name) / f"run{self._count}.json"
        request = {"dir": str(directory), "setup": setup, "probes": probes,
                   "out": str(self._out), "timeout": self.timeout}
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()

    def result(self) -> FreshRun:
        assert self.process.stdout is not None
        out = self._out
        reply = self.process.stdout.readline()
        if not reply:
            raise RuntimeError("the fresh-interpreter helper died")
        status = json.loads(reply)["status"]
        if status != "ok":
            return FreshRun(failure=status)
        data = json.loads(out.read_text(encoding="utf-8"))
        out.unlink()
        return FreshRun({int(k): v for k, v in data["setup_errors"].items()}, data["results"])

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._scratch.cleanup()


# -- the helper process --------------------------------------------------------


def serve() -> None:
    """Answer requests from stdin until it closes (runs in the helper process)."""
    import importlib
    import select

    for name in json.loads(sys.argv[1]):
        try:
            importlib.import_module(name)
        except Exception:
            pass  # a library missing here is missing in the child too: the setup says so
    requests = os.fdopen(os.dup(0), "r")
    replies = os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)  # the children's prints must not reach the reply pipe
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        # Every probe may use its whole time; the setup gets as much as one probe.
        budget = request["timeout"] * (len(request["probes"]) + 1) + 10
        status = _wait_child(pid, budget, select)
        replies.write(json.dumps({"status": status}) + "\n")
        replies.flush()


def _wait_child(pid: int, timeout: float, select_module) -> str:
    """Wait for a forked child (its pidfd becomes readable on exit); kill it on timeout."""
    import signal

    pidfd = os.pidfd_open(pid)
    try:
        ready, _, _ = select_module.select([pidfd], [], [], timeout)
    finally:
        os.close(pidfd)
    if not ready:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if not ready:
        return "timeout"
    code = os.waitstatus_to_exitcode(status)
    return "ok" if code == 0 else f"fresh interpreter ended with status {code}"


def _child(request: dict) -> None:
    """In the forked child: a new __main__, the setup, the probes; then exit at once."""
    import types

    status = 1
    try:
        sys.path.insert(0, request["dir"])
        main = types.ModuleType("__main__")
        main.__dict__["__builtins__"] = __builtins__
        sys.modules["__main__"] = main
        exec(_HELPERS, main.__dict__)
        errors = {}
        for index, statement in enumerate(request["setup"]):
            try:
                exec(compile(statement, "<stdin>", "exec"), main.__dict__)
            except BaseException as exc:  # recorded: the checker decides what it means
                errors[index] = f"{type(exc).__qualname__}: {exc}"
        tool = main.__dict__["__dcheck__"]
        results = tool.observe(request["probes"], request["timeout"])
        tool.dump(request["out"], {"setup_errors": errors, "results": results})
        status = 0
    finally:
        os._exit(status)


# Set by the program text FreshOracle runs: the helpers of probes.py.
_HELPERS = ""
