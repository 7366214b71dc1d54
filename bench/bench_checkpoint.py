"""Benchmark: a restart after an unsafe edit, resumed from a checkpoint beside today's full replay.

Run:  python3 bench/bench_checkpoint.py [--slow SECONDS ...] [--quick]

Each session, in a pseudo-terminal in a fresh project directory: a slow
input (it fills a 200 MB buffer, then sleeps until it has taken ``--slow``
seconds, 4 by default), ``import mod`` (a user module with a dataclass),
20 cheap inputs, then an unsafe edit of ``mod.py`` (a dataclass field
added).  The restart question is answered ``y``; timed is ``y`` -> the
summary line and ``y`` -> the next prompt.  The session is checked
afterwards (the buffer, the last cheap input, the new field).  It runs with
checkpoints on (the default settings) and with ``FRESHREPL_CHECKPOINTS=0``
(a fresh kernel replays every input, as before checkpoints).

Memory: after the resumed restart, the live kernel rewrites the 200 MB
buffer (one byte per page), and ``:checkpoints`` reports what the
checkpoints hold, before and after.  References from the same run:
``python3 -c pass`` and ``python3 -q`` spawn -> first prompt (medians);
every time is also given as a ratio to ``python3 -c pass``.

Three more sessions, each run beside the same session with checkpoints off
(``FRESHREPL_CHECKPOINTS=0``: the full replay); inputs are typed 0.3 s after
the prompt, as a person would (a checkpoint for ``:undo`` is taken while the
kernel waits):

- the ordinary loop (``--loop`` seconds of load, 2 and 8 by default):
  ``import helpers``, a slow load, two safe edits of ``helpers.py`` (a
  function's body, a new dataclass) with an input after each, then an edit the
  live kernel cannot take (a field added to that dataclass); ``y`` -> summary
  and -> prompt; the load must not have run again;
- ``:undo`` after a 4 s input, in a session holding a 1 GiB numpy array:
  Enter -> the summary line and -> the prompt; the array and the undone
  input's variable are checked;
- the per-input checkpoint as the heap grows (``--heap`` GiB, 0.1 1 4): a
  numpy array of that size, then ten cheap inputs; the time the newest idle
  fork held the kernel up, the memory the checkpoints hold then (their private
  pages, as ``:checkpoints`` says, and their page tables, ``VmPTE``), and an
  input that rewrites the whole array (``big += 1``: every page written once
  after a fork is copied) timed with and without checkpoints.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import pexpect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_restart import python_runs  # noqa: E402  (python3 start-up, timed the same way)

PYTHON = os.path.realpath(sys.executable)
PROMPT = re.compile(rb">>>")
SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
SUMMARY = re.compile(rb"(?:restarted from input (\d+) )?\(?replayed (\d+) inputs? in ([0-9.]+) s")
HELD = re.compile(rb"; ([0-9.]+) MB held")
MODULE = "from dataclasses import dataclass\n\n\n@dataclass\nclass Point:\n    x: int\n"
CHANGED = MODULE + "    y: int = 0\n"
CHEAP = 20
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def freshrepl_command() -> list[str]:
    """This checkout's freshrepl (``PYTHONPATH`` points at its ``src``, see ``environment``)."""
    return [sys.executable, "-m", "freshrepl", "-q"]


def environment(home: str, extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ, HOME=home, XDG_STATE_HOME=os.path.join(home, "state"),
               PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", PYTHONPATH=SOURCE, **extra)
    for name in ("PYTHONSTARTUP", "NO_COLOR"):
        env.pop(name, None)
    return env


def spawn(command: list[str], cwd: str, env: dict[str, str]) -> tuple[pexpect.spawn, float]:
    begin = time.perf_counter()
    child = pexpect.spawn(command[0], command[1:], env=env, cwd=cwd, dimensions=(40, 200),
                          timeout=120)
    child.delaybeforesend = None
    child.expect(PROMPT)
    return child, time.perf_counter() - begin


def feed(child: pexpect.spawn, line: str) -> None:
    """Enter ``line``; returns at the next prompt (the first prompt reads lines before the
    editor is up, without its escape codes)."""
    child.send(line + "\r")
    child.expect(b"\r\n")
    child.expect(PROMPT)


def ask(child: pexpect.spawn, line: str) -> bytes:
    """Enter ``line``; what was printed before the next prompt, without colour codes."""
    child.send(line + "\r")
    child.expect(re.escape(b"\x1b[?2004l"))
    child.expect(PROMPT)
    return ESCAPES.sub(b"", child.before)


def leave(child: pexpect.spawn) -> None:
    child.sendeof()
    try:
        child.expect(pexpect.EOF, timeout=10)
    except pexpect.TIMEOUT:
        pass
    child.close(force=True)


def session(home: str, slow: float, extra: dict[str, str], memory: bool) -> dict[str, float]:
    """One session to the unsafe edit and its restart; the timings (and memory) in a dict."""
    project = tempfile.mkdtemp(dir=home)
    with open(os.path.join(project, "mod.py"), "w") as f:
        f.write(MODULE)
    child, _ = spawn(freshrepl_command(), project, environment(home, extra))
    feed(child, "import time; _t = time.monotonic(); data = bytearray(b'a') * (200 << 20); "
                f"time.sleep(max(0, {slow} - (time.monotonic() - _t)))")
    feed(child, "import mod")
    for i in range(CHEAP):
        feed(child, f"c{i} = mod.Point({i})")
    time.sleep(0.3)  # the watcher has the file in view; the edit is a later save
    with open(os.path.join(project, "mod.py"), "w") as f:
        f.write(CHANGED)
    child.expect(re.compile(rb"\[Y/n\]"))
    begin = time.perf_counter()
    child.send("y")
    child.expect(SUMMARY)
    summary = time.perf_counter() - begin
    resumed_at, replayed = child.match.group(1), int(child.match.group(2))
    child.expect(PROMPT)
    prompt = time.perf_counter() - begin
    result = {"summary": summary, "prompt": prompt, "replayed": replayed,
              "resumed": -1 if resumed_at is None else int(resumed_at)}
    check = ask(child, f"len(data), c{CHEAP - 1}")
    if f"(209715200, Point(x={CHEAP - 1}, y=0))".encode() not in check:
        raise SystemExit(f"wrong state after the restart: {check!r}")
    if memory:
        result["held_before"] = _held(ask(child, ":checkpoints"))
        feed(child, "any(data.__setitem__(i, 98) for i in range(0, len(data), 4096))")
        result["held_after"] = _held(ask(child, ":checkpoints"))
    leave(child)
    return result


def _held(table: bytes) -> float:
    found = HELD.search(table)
    return float(found.group(1)) if found else 0.0


THINK = 0.3  # seconds between a prompt and the next input (a person types slower)
HELPERS = "def mean(xs):\n    return sum(xs) / len(xs)\n"
HELPERS_1 = HELPERS.replace("return ", "return round(") .replace("len(xs)", "len(xs), 1)")
HELPERS_2 = HELPERS_1 + "\n\nfrom dataclasses import dataclass\n\n\n@dataclass\nclass Summary:\n    n: int\n"
HELPERS_3 = HELPERS_2 + "    total: float = 0.0\n"
FORK_MS = re.compile(rb"the newest took ([0-9.]+) ms to fork")
ROW_PID = re.compile(rb"^\s*\d+\s+\d+\s+(\d+)\s+[0-9.]+ MB", re.M)


def typed(child: pexpect.spawn, line: str) -> None:
    """``line`` entered after a person's pause; returns at the next prompt."""
    time.sleep(THINK)
    feed(child, line)


def save(child: pexpect.spawn, path: str, text: str, notice: bytes) -> None:
    with open(path, "w") as f:
        f.write(text)
    child.expect(re.escape(notice))


def timed_answer(child: pexpect.spawn, keys: str,
                 summary: re.Pattern[bytes]) -> tuple[float, float, bytes]:
    """Send ``keys``; seconds to ``summary`` and to the next prompt, and the summary."""
    begin = time.perf_counter()
    child.send(keys)
    child.expect(summary)
    to_summary, said = time.perf_counter() - begin, child.match.group(0)
    child.expect(PROMPT)
    return to_summary, time.perf_counter() - begin, said


def loop_session(home: str, load: float, extra: dict[str, str]) -> dict[str, float]:
    """The ordinary loop up to its unsafe edit and the restart after it."""
    project = tempfile.mkdtemp(dir=home)
    helpers = os.path.join(project, "helpers.py")
    with open(helpers, "w") as f:
        f.write(HELPERS)
    child, _ = spawn(freshrepl_command(), project, environment(home, extra))
    typed(child, "import helpers")
    typed(child, f"import time; time.sleep({load}); data = [1, 2, 4]; "
                 "open('loads.txt', 'a').write('load\\n')")
    time.sleep(0.3)  # the watcher has the file in view
    save(child, helpers, HELPERS_1, b"reloaded helpers")
    typed(child, "m = helpers.mean(data)")
    save(child, helpers, HELPERS_2, b"reloaded helpers")
    typed(child, "s = helpers.Summary(len(data))")
    time.sleep(THINK)
    save(child, helpers, HELPERS_3, b"[Y/n]")
    summary, prompt, _said = timed_answer(child, "y", SUMMARY)
    check = ask(child, "s, m, open('loads.txt').read().count('load')")
    loads = 1 if "CHECKPOINTS" not in str(extra) else 2
    if f"(Summary(n=3, total=0.0), 2.3, {loads})".encode() not in check:
        raise SystemExit(f"wrong state after the loop's restart: {check!r}")
    leave(child)
    return {"summary": summary, "prompt": prompt}


def undo_session(home: str, extra: dict[str, str]) -> dict[str, float]:
    """``:undo`` after a 4 s input, with a 1 GiB array in the kernel."""
    project = tempfile.mkdtemp(dir=home)
    child, _ = spawn(freshrepl_command(), project, environment(home, extra))
    typed(child, "import numpy as np; big = np.ones(1 << 27)")
    typed(child, "import time; time.sleep(4); big[:1000] = 2; lost = 1")
    time.sleep(THINK)
    summary, prompt, said = timed_answer(child, ":undo\r", re.compile(rb"undid input 2 [^\r\n]*"))
    check = ask(child, "float(big[0]), big.nbytes, 'lost' in dir()")
    if b"(1.0, 1073741824, False)" not in check:
        raise SystemExit(f"wrong state after :undo: {check!r}")
    leave(child)
    return {"summary": summary, "prompt": prompt, "exact": float(b"nothing re-run" in said)}


def heap_session(home: str, gib: float, extra: dict[str, str]) -> dict[str, float]:
    """Ten cheap inputs over a heap of ``gib`` GiB: fork time, memory held, a full rewrite."""
    project = tempfile.mkdtemp(dir=home)
    child, _ = spawn(freshrepl_command(), project, environment(home, extra))
    typed(child, f"import numpy as np; big = np.ones(int({gib} * 2**30) // 8)")
    for i in range(10):
        typed(child, f"x{i} = {i}")
    time.sleep(THINK)
    table = ask(child, ":checkpoints")
    fork = FORK_MS.search(table)
    result = {"fork_ms": float(fork.group(1)) if fork else float("nan"), "held": _held(table),
              "page_tables": sum(_page_tables(int(pid)) for pid in ROW_PID.findall(table))}
    time.sleep(THINK)
    begin = time.perf_counter()
    feed(child, "big += 1")
    result["rewrite"] = time.perf_counter() - begin
    leave(child)
    return result


def _page_tables(pid: int) -> float:
    """MB of page tables process ``pid`` has (the fork copied them)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmPTE:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


OFF = {"FRESHREPL_CHECKPOINTS": "0"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slow", type=float, nargs="+", default=[4.0],
                        help="seconds the slow input takes (several: one session each)")
    parser.add_argument("--loop", type=float, nargs="+", default=[2.0, 8.0],
                        help="seconds the ordinary loop's load takes (several: one session each)")
    parser.add_argument("--heap", type=float, nargs="+", default=[0.1, 1.0, 4.0],
                        help="GiB of heap for the per-input checkpoint's cost")
    parser.add_argument("--only", choices=["edit", "loop", "undo", "heap"], nargs="+",
                        default=["edit", "loop", "undo", "heap"], help="which sessions to run")
    parser.add_argument("--quick", action="store_true", help="one session of each kind")
    options = parser.parse_args()
    repeats = 1 if options.quick else 3
    runs = 5 if options.quick else 15
    with tempfile.TemporaryDirectory() as home:
        base = python_runs(["-c", "pass"], runs)
        python_prompt = []
        for _ in range(runs):
            child, seconds = spawn([PYTHON, "-q"], home, environment(home, {}))
            python_prompt.append(seconds)
            leave(child)

        def ms(seconds: float) -> str:
            return f"{seconds * 1000:9.1f} ms ({seconds / base:5.1f}x)"

        print(f"References (median of {runs})                          vs python3 -c pass")
        print(f"{'python3 -c pass':<44}{ms(base)}")
        print(f"{'python3 -q, spawn -> first prompt':<44}{ms(statistics.median(python_prompt))}")
        if "edit" in options.only:
            report_edit(home, options.slow, repeats, ms)
        if "loop" in options.only:
            report_loop(home, options.loop, repeats, ms)
        if "undo" in options.only:
            report_undo(home, repeats, ms)
        if "heap" in options.only:
            report_heap(home, options.heap)


def _median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def report_edit(home: str, slows: list[float], repeats: int, ms: Callable[[float], str]) -> None:
    rows = []
    for slow in slows:
        for label, extra in (("checkpoint", {}), ("full replay", OFF)):
            results = [session(home, slow, extra, memory=label == "checkpoint")
                       for _ in range(repeats)]
            rows.append((slow, label, results))
    print()
    print(f"Unsafe edit after a slow input, import mod and {CHEAP} cheap inputs; "
          f"'y' -> ... (median of {repeats})")
    print(f"{'slow input':>10}  {'restart':<12}{'resumed at':>11}{'replayed':>9}"
          f"{'y -> summary':>24}{'y -> prompt':>24}")
    for slow, label, results in rows:
        resumed = results[0]["resumed"]
        print(f"{slow:>8.1f} s  {label:<12}{resumed if resumed >= 0 else '-':>11}"
              f"{results[0]['replayed']:>9}{ms(_median(results, 'summary')):>24}"
              f"{ms(_median(results, 'prompt')):>24}")
    print()
    for slow, label, results in rows:
        if label == "checkpoint":
            print(f"memory the checkpoints hold (slow input {slow:g} s): "
                  f"{_median(results, 'held_before'):.1f} MB after the restart, "
                  f"{_median(results, 'held_after'):.1f} MB once the live kernel rewrote its "
                  "200 MB buffer")


def report_loop(home: str, loads: list[float], repeats: int, ms: Callable[[float], str]) -> None:
    print()
    print(f"The ordinary loop: import, load, two safe edits, one unsafe edit; 'y' -> ... "
          f"(median of {repeats})")
    print(f"{'load':>8}  {'restart':<12}{'y -> summary':>24}{'y -> prompt':>24}")
    for load in loads:
        for label, extra in (("checkpoint", {}), ("full replay", OFF)):
            results = [loop_session(home, load, extra) for _ in range(repeats)]
            print(f"{load:>6.1f} s  {label:<12}{ms(_median(results, 'summary')):>24}"
                  f"{ms(_median(results, 'prompt')):>24}")


def report_undo(home: str, repeats: int, ms: Callable[[float], str]) -> None:
    print()
    print(f":undo after a 4 s input, 1 GiB array in the kernel; Enter -> ... (median of {repeats})")
    print(f"{'undo':<24}{'Enter -> summary':>24}{'Enter -> prompt':>24}")
    for label, extra in (("from a checkpoint", {}), ("full replay", OFF)):
        results = [undo_session(home, extra) for _ in range(repeats)]
        exact = " (nothing re-run)" if label != "full replay" and all(r["exact"] for r in results) else ""
        print(f"{label + exact:<24}{ms(_median(results, 'summary')):>24}"
              f"{ms(_median(results, 'prompt')):>24}")


def report_heap(home: str, sizes: list[float]) -> None:
    print()
    print("The checkpoint before each input as the heap grows (ten cheap inputs, then big += 1)")
    print(f"{'heap':>8}{'fork (idle)':>14}{'held after 10':>16}{'their page tables':>19}"
          f"{'big += 1 with':>15}{'without':>10}")
    for gib in sizes:
        on = heap_session(home, gib, {})
        off = heap_session(home, gib, OFF)
        print(f"{gib:>5g} GiB{on['fork_ms']:>11.1f} ms{on['held']:>13.1f} MB"
              f"{on['page_tables']:>16.1f} MB{on['rewrite'] * 1000:>12.0f} ms"
              f"{off['rewrite'] * 1000:>7.0f} ms")


if __name__ == "__main__":
    main()
