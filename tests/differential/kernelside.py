"""The kernel side: a real freshrepl kernel process, driven as the shell drives it.

``KernelSide`` spawns the kernel through ``KernelClient`` and talks to it
only with the protocol's requests: every setup statement is one ``run``
(with ``replay=True``: output hidden, the traceback comes back in the
reply), and the reload is the ``reload`` request the shell sends after a
save.  Observations are written by the probe helpers to JSON files.

The kernel inherits this process's stdout and stderr at spawn time; they are
pointed at a log file for the spawn, so the kernel's output (module prints,
an internal error) lands there instead of in the checker's report.

A watchdog kills the kernel when one request takes longer than ``timeout``;
the request then raises ``KernelDied`` and ``restart()`` gives a new kernel.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import freshrepl
from freshrepl.protocol import FAILED, RELOADED, UNSAFE, ReloadResult, RunReply
from freshrepl.shell.kernel_client import KernelClient, KernelDied
from freshrepl.shell.options import Options

from .case import Layout
from .fresh import HASH_SEED
from .probes import HELPERS

_OWN_SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(freshrepl.__file__)))


class SetupFailed(Exception):
    """A setup statement raised in the kernel: the case itself is broken."""


class KernelSide:
    """One kernel serving many cases (each in its own directory, with its own module names)."""

    def __init__(self, python: str = sys.executable, timeout: float = 60.0) -> None:
        self.python = python
        self.timeout = timeout
        self._scratch = tempfile.TemporaryDirectory(prefix="dcheck-kernel-")
        self.log_path = Path(self._scratch.name) / "kernel.log"
        self.client: KernelClient | None = None
        self._dumps = 0

    # -- life cycle -------------------------------------------------------------
    def start(self) -> None:
        client = KernelClient(Options(python=self.python, quiet=True))
        # The kernel must run the engine under test, the freshrepl this process
        # imported, not one installed in the interpreter's site-packages.
        path = os.pathsep.join(filter(None, [_OWN_SOURCE, os.environ.get("PYTHONPATH")]))
        with _environment(PYTHONHASHSEED=HASH_SEED, PYTHONDONTWRITEBYTECODE="1",
                          PYTHONPATH=path), _output_to(self.log_path):
            client.start()
        self.client = client
        client.wait_ready(self.timeout)
        self.run_ok(f"exec({HELPERS!r})")
        engine = self._fetch("__import__('freshrepl').__file__")
        if engine != freshrepl.__file__:
            self.close()
            raise RuntimeError(f"the kernel runs {engine}, not the {freshrepl.__file__} under test")

    def restart(self) -> None:
        self.close()
        self.start()

    def close(self) -> None:
        if self.client is not None:
            self.client.kill()
            self.client = None

    def cleanup(self) -> None:
        self.close()
        self._scratch.cleanup()

    # -- requests ---------------------------------------------------------------
    def run(self, source: str) -> RunReply:
        return self._guarded(lambda client: client.run(source, replay=True))

    def run_ok(self, source: str) -> None:
        reply = self.run(source)
        if not reply.ok:
            raise SetupFailed(f"{source.strip()!r} raised in the kernel:\n{reply.error}")

    def reload(self, paths: list[str]) -> list[ReloadResult]:
        """The reload request the shell sends after the files were saved."""
        return self._guarded(lambda client: client.reload(paths, [])).results

    def setup(self, layout: Layout) -> None:
        self.run_ok(f"import sys\nsys.path.insert(0, {str(layout.directory)!r})")
        for statement in layout.setup:
            self.run_ok(statement)

    def observe(self, probes: list[str], seconds: float) -> list[str]:
        budget = self.timeout + seconds * len(probes)  # every probe may use its whole time
        return self._fetch(f"__dcheck__.observe({probes!r}, {seconds!r})", budget)

    def state(self, layout: Layout) -> dict[str, str]:
        modules = sorted(layout.modules.values())
        return self._fetch(f"__dcheck__.state({modules!r}, {sorted(layout.setup_names)!r})")

    def forget(self, layout: Layout) -> None:
        """Drop a finished case's modules, path entry and ``__main__`` names."""
        modules = sorted(layout.modules.values())
        code = (
            "import sys\n"
            f"for name in {modules!r}: sys.modules.pop(name, None)\n"
            f"sys.path[:] = [p for p in sys.path if p != {str(layout.directory)!r}]\n"
            f"for name in {sorted(layout.setup_names)!r}: globals().pop(name, None)\n"
        )
        self.run_ok(f"exec({code!r}, {{'globals': globals}})")

    def _fetch(self, expression: str, seconds: float | None = None):
        self._dumps += 1
        path = Path(self._scratch.name) / f"dump{self._dumps}.json"
        source = f"__dcheck__.dump({str(path)!r}, {expression})"
        reply = self._guarded(lambda client: client.run(source, replay=True), seconds)
        if not reply.ok:
            raise SetupFailed(f"{expression!r} raised in the kernel:\n{reply.error}")
        data = json.loads(path.read_text(encoding="utf-8"))
        path.unlink()
        return data

    def _guarded(self, call: Callable[[KernelClient], Any], seconds: float | None = None) -> Any:
        """``call(client)``; the kernel is killed if it takes longer than ``seconds``."""
        client = self.client
        if client is None:
            raise KernelDied("no kernel")
        pid = client.pid
        timer = threading.Timer(seconds or self.timeout, _kill, args=(pid,))
        timer.daemon = True
        timer.start()
        try:
            return call(client)
        finally:
            timer.cancel()


def _kill(pid: int | None) -> None:
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """``os.environ`` with ``values`` for the duration (the kernel copies it at spawn)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Point fds 1 and 2 at ``path`` while a child is spawned (it inherits them)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(log, 1)
        os.dup2(log, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, log):
            os.close(fd)


# -- ways to reload: the engine, and deliberately wrong ones (to test the checker) --

Reload = Callable[[KernelSide, Layout], list[ReloadResult]]


def engine_reload(kernel: KernelSide, layout: Layout) -> list[ReloadResult]:
    """What freshrepl does: the kernel's reload request for the saved files."""
    return kernel.reload(layout.changed_paths())


def _importlib(kernel: KernelSide, layout: Layout, status: str) -> list[ReloadResult]:
    """``importlib.reload`` of the changed modules, reported as ``status``."""
    names = layout.changed_modules()
    reply = kernel.run(f"import importlib, sys\nfor _n in {names!r}: importlib.reload(sys.modules[_n])")
    if not reply.ok:
        status = FAILED
    return [ReloadResult(n, "", status, detail="importlib.reload") for n in names]


def importlib_reload(kernel: KernelSide, layout: Layout) -> list[ReloadResult]:
    """A wrong reloader: re-runs the module, old references keep the old objects."""
    return _importlib(kernel, layout, RELOADED)


def half_applied_reload(kernel: KernelSide, layout: Layout) -> list[ReloadResult]:
    """A wrong reloader: changes the module, then says it refused."""
    return _importlib(kernel, layout, UNSAFE)


def noop_reload(kernel: KernelSide, layout: Layout) -> list[ReloadResult]:
    """A wrong reloader: does nothing and says it reloaded."""
    return [ReloadResult(name, "", RELOADED) for name in layout.changed_modules()]
