"""The differential checker: run an edit through a real kernel, compare with a fresh interpreter.

For each case:

1. A fresh interpreter runs the setup and the probes against the files as
   they are: the probes must agree with the kernel before any edit (else the
   case is broken: ERROR, never counted as the engine's fault).
2. The kernel runs the setup (references made before the edit), the probes,
   and a print of the identities of everything in the case's modules.
3. The files are edited and the kernel is asked to reload them.
4. A fresh interpreter runs the setup and probes against the edited files.

Then:

- reloaded (or "unchanged", or silence): every probe must give what the
  fresh interpreter gave: RIGHT, else WRONG;
- refused (``unsafe`` or ``failed``): nothing may have changed: the identity
  print and every probe as before the edit: REFUSED, else WRONG
  ("refused yet half-applied");
- some modules reloaded, others refused: the refused ones must be untouched,
  and the probes must answer as a fresh interpreter given only the edits of
  the reloaded ones: REFUSED (in part), else WRONG.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from freshrepl.protocol import FAILED, RELOADED, UNSAFE, ReloadResult
from freshrepl.shell.kernel_client import KernelDied, KernelError

from .case import Case, Layout, bound_at_top, materialize
from .fresh import FreshOracle, FreshRun
from .kernelside import KernelSide, Reload, SetupFailed, engine_reload
from .probes import TIMEOUT, unbound_name

RIGHT, REFUSED, WRONG, ERROR = "RIGHT", "REFUSED", "WRONG", "ERROR"
VERDICTS = (RIGHT, REFUSED, WRONG, ERROR)
# Notes a REFUSED verdict may carry (a refusal is honest, but each costs the user a restart).
SHOULD_APPLY, NO_RESTART = "[an edit that should apply]", "[no restart offered]"


@dataclass
class Verdict:
    case: str
    verdict: str
    reason: str = ""
    reports: list[str] = field(default_factory=list)  # the engine's results, one line each
    seconds: float = 0.0

    def line(self) -> str:
        return f"{self.verdict:7} {self.case}: {self.reason}"


class Checker:
    """A kernel and a fresh-interpreter oracle, shared by every case checked."""

    def __init__(self, preload: Iterable[str] = (), python: str = sys.executable,
                 reload: Reload = engine_reload, probe_seconds: float = 5.0,
                 timeout: float = 60.0) -> None:
        self.preload = list(preload)
        self.python = python
        self.reload = reload
        self.probe_seconds = probe_seconds
        self.kernel = KernelSide(python, timeout)
        self.fresh: FreshOracle | None = None
        self._root = tempfile.TemporaryDirectory(prefix="dcheck-cases-")
        self._serial = 0

    def __enter__(self) -> Checker:
        self.kernel.start()
        self.fresh = FreshOracle(self.python, self.preload, timeout=self.probe_seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        self.kernel.cleanup()
        if self.fresh is not None:
            self.fresh.close()
        self._root.cleanup()

    def check_all(self, cases: Iterable[Case]) -> Iterator[Verdict]:
        for case_ in cases:
            yield self.check(case_)

    def check(self, case_: Case) -> Verdict:
        started = time.perf_counter()
        self._serial += 1
        layout = materialize(case_, Path(self._root.name), self._serial)
        layout.write_before()
        try:
            verdict = self._check(case_, layout)
        except SetupFailed as exc:
            verdict = Verdict(case_.name, ERROR, f"case broken: {_first_line(str(exc))}")
        except OneSidedTimeout as exc:
            verdict = Verdict(case_.name, ERROR, f"not judged: {exc}")
        except (KernelDied, KernelError, TimeoutError) as exc:
            verdict = Verdict(case_.name, ERROR, f"kernel: {type(exc).__name__}: {exc}")
            self.kernel.restart()
        try:
            self.kernel.forget(layout)
        except (SetupFailed, KernelDied, KernelError, TimeoutError):
            self.kernel.restart()
        verdict.seconds = time.perf_counter() - started
        return verdict

    def _check(self, case_: Case, layout: Layout) -> Verdict:
        probes = case_.probes
        before, broken = self._before_edit(layout, probes)
        if broken:
            return Verdict(case_.name, ERROR, f"case broken: {broken}")
        state_before = self.kernel.state(layout)
        layout.write_after()
        results = [r for r in self.reload(self.kernel, layout)
                   if r.module in layout.modules.values()]
        reports = [_report(r, layout) for r in results]
        self._start_fresh(layout, probes)
        try:
            state_after = self.kernel.state(layout)
            after = self.kernel.observe(probes, self.probe_seconds)
        finally:
            fresh_after = self._fresh_result()
        refused = {r.module for r in results if r.status in (FAILED, UNSAFE)}
        if refused and not any(r.status == RELOADED for r in results):
            verdict = _judge_refusal(probes, before, after, state_before, state_after, reports)
        elif refused:
            changed = _state_difference(_of(state_before, refused), _of(state_after, refused))
            verdict = self._judge_partial(layout, probes, after, refused, changed, reports)
        else:
            verdict = _judge_applied(layout, probes, after, fresh_after, reports)
        verdict.case = case_.name
        if verdict.verdict == REFUSED and case_.must_apply:
            verdict.reason += "  " + SHOULD_APPLY
        if verdict.verdict == REFUSED and case_.restart and not any(map(offers_restart, results)):
            verdict.reason += "  " + NO_RESTART
        return verdict

    def _before_edit(self, layout: Layout, probes: list[str]) -> tuple[list[str], str]:
        """The kernel's setup and probe results; a reason if they disagree with a fresh
        interpreter before any edit (then the case, not the engine, is at fault)."""
        self._start_fresh(layout, probes)
        try:
            self.kernel.setup(layout)
            before = self.kernel.observe(probes, self.probe_seconds)
        finally:
            fresh = self._fresh_result()  # before the files change under it
        if fresh.failure or fresh.setup_errors:
            why = fresh.failure or _setup_error(layout, fresh)
            return before, f"fresh interpreter before the edit: {why}"
        mismatch = _mismatch(probes, before, fresh.results, ("kernel", "fresh"))
        return before, f"before any edit, {mismatch}" if mismatch else ""

    def _start_fresh(self, layout: Layout, probes: list[str]) -> None:
        """A fresh interpreter on the files as they are now, running beside the kernel."""
        assert self.fresh is not None
        self.fresh.submit(layout.directory, layout.setup, probes)

    def _fresh_result(self) -> FreshRun:
        assert self.fresh is not None
        return self.fresh.result()

    def _judge_partial(self, layout: Layout, probes: list[str], after: list[str],
                       refused: set[str], changed: str, reports: list[str]) -> Verdict:
        """Some modules reloaded, others refused: each refused one must be untouched, and
        the whole must behave as a fresh interpreter given only the edits that were applied."""
        said = "; ".join(reports)
        if changed:
            return Verdict("", WRONG, f"refused ({said}) yet changed {changed}", reports)
        layout.write_partial(refused)
        assert self.fresh is not None
        fresh = self.fresh.run(layout.directory, layout.setup, probes)
        verdict = _judge_applied(layout, probes, after, fresh, reports)
        if verdict.verdict == RIGHT:
            verdict.verdict = REFUSED
        return verdict


def offers_restart(result: ReloadResult) -> bool:
    """Whether the shell answers this result with the restart question (as ``shell/loop.py``)."""
    return result.status == UNSAFE


def _of(state: dict[str, str], modules: set[str]) -> dict[str, str]:
    return {k: v for k, v in state.items() if k.split(".", 1)[0] in modules}


def _judge_refusal(probes: list[str], before: list[str], after: list[str],
                   state_before: dict[str, str], state_after: dict[str, str],
                   reports: list[str]) -> Verdict:
    said = "; ".join(reports)
    changed = _state_difference(state_before, state_after)
    if changed:
        return Verdict("", WRONG, f"refused ({said}) yet changed {changed}", reports)
    mismatch = _mismatch(probes, after, before, ("after", "before"))
    if mismatch:
        return Verdict("", WRONG, f"refused ({said}) yet {mismatch}", reports)
    return Verdict("", REFUSED, said, reports)


def _judge_applied(layout: Layout, probes: list[str], after: list[str], fresh: FreshRun,
                   reports: list[str]) -> Verdict:
    said = "; ".join(reports) or "nothing reported"
    if fresh.failure:
        return Verdict("", ERROR, f"fresh interpreter after the edit: {fresh.failure}", reports)
    failed_imports = [i for i, error in fresh.setup_errors.items()
                      if _is_import(layout.setup[i]) and not _missing_name(error)]
    if failed_imports:
        why = _setup_error(layout, fresh)
        return Verdict("", WRONG, f"{said}, but a fresh import of the edit fails: {why}", reports)
    # Objects the setup could not build from the edited files cannot be compared.
    unbuilt = set().union(*(_binds(layout.setup[i]) for i in fresh.setup_errors))
    kept = [i for i, result in enumerate(fresh.results) if unbound_name(result) not in unbuilt]
    if not kept:
        return Verdict("", ERROR, "no probe comparable after the edit: "
                       + _setup_error(layout, fresh), reports)
    mismatch = _mismatch([probes[i] for i in kept], [after[i] for i in kept],
                         [fresh.results[i] for i in kept], ("kernel", "fresh"))
    if mismatch:
        return Verdict("", WRONG, f"{said}, but {mismatch}", reports)
    return Verdict("", RIGHT, said, reports)


class OneSidedTimeout(Exception):
    """A probe timed out on one side only: a busy machine, or a real difference; not judged."""


def _mismatch(probes: list[str], ours: list[str], theirs: list[str],
              labels: tuple[str, str]) -> str:
    """A one-line description of the first probe whose results differ, or ''."""
    for probe, a, b in zip(probes, ours, theirs, strict=True):
        if a != b and TIMEOUT in (a, b):
            raise OneSidedTimeout(f"`{probe}` timed out in the {labels[a != TIMEOUT]} only")
        if a != b:
            a, b = _around_difference(a, b)
            return f"`{probe}`: {labels[0]} {_short(a)} vs {labels[1]} {_short(b)}"
    return ""


def _around_difference(a: str, b: str, before: int = 60) -> tuple[str, str]:
    """Both texts from a little before their first difference (long texts differ late)."""
    pairs = enumerate(zip(a, b, strict=False))
    start = next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))
    if start <= before:
        return a, b
    return "..." + a[start - before:], "..." + b[start - before:]


def _state_difference(before: dict[str, str], after: dict[str, str]) -> str:
    # Dunder names last: a changed class or function says more than ``__builtins__``.
    for key in sorted(set(before) | set(after), key=lambda k: (".__" in k, k)):
        if before.get(key) != after.get(key):
            if key not in after:
                return f"{key} (removed)"
            if key not in before:
                return f"{key} (added)"
            return _changed_member(key, before[key], after[key])
    return ""


def _changed_member(key: str, before: str, after: str) -> str:
    """Name the first class member whose identity print changed, if it is one."""
    old_parts, new_parts = before.split(";"), after.split(";")
    for old, new in zip(old_parts, new_parts, strict=False):
        if old != new:
            member = old.split("=", 1)[0] if "=" in old else ""
            return f"{key}.{member}" if member else f"{key} (a different object)"
    return f"{key} (members added or removed)"


def _report(result: ReloadResult, layout: Layout) -> str:
    short = {v: k for k, v in layout.modules.items()}.get(result.module, result.module)
    text = result.detail or result.error or ""
    if result.location and not text.startswith(result.location):
        text = f"{result.location}: {text}"
    return f"{result.status} {short}" + (f" ({_shorten(text, layout)})" if text else "")


def _shorten(text: str, layout: Layout) -> str:
    for short, unique in layout.modules.items():
        text = text.replace(unique, short)
    return _first_line(text)


def _setup_error(layout: Layout, run: FreshRun) -> str:
    index = min(run.setup_errors)
    return f"`{_first_line(layout.setup[index])}` raised {_short(run.setup_errors[index])}"


def _missing_name(error: str) -> bool:
    """``from m import gone`` failing because the edit deleted ``gone`` (m itself imports)."""
    return error.startswith("ImportError: cannot import name")


def _is_import(statement: str) -> bool:
    return statement.lstrip().startswith(("import ", "from "))


def _binds(statement: str) -> set[str]:
    try:
        return bound_at_top(statement)
    except SyntaxError:
        return set()


def _short(text: str, limit: int = 200) -> str:
    text = " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""
