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
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time

import pexpect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_restart import python_runs  # noqa: E402  (python3 start-up, timed the same way)

PYTHON = os.path.realpath(sys.executable)
PROMPT = re.compile(rb">>>")
ACCEPTED_AND_PROMPT = re.compile(rb"\x1b\[\?2004l.*?>>>", re.S)
SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
SUMMARY = re.compile(rb"(?:restarted from input (\d+) )?\(?replayed (\d+) inputs? in ([0-9.]+) s")
HELD = re.compile(rb"; ([0-9.]+) MB held")
MODULE = "from dataclasses import dataclass\n\n\n@dataclass\nclass Point:\n    x: int\n"
CHANGED = MODULE + "    y: int = 0\n"
CHEAP = 20


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
    child.send(line + "\r")
    child.expect(ACCEPTED_AND_PROMPT)


def ask(child: pexpect.spawn, line: str) -> bytes:
    """Enter ``line``; what was printed before the next prompt."""
    child.send(line + "\r")
    child.expect(re.escape(b"\x1b[?2004l"))
    child.expect(PROMPT)
    return child.before


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slow", type=float, nargs="+", default=[4.0],
                        help="seconds the slow input takes (several: one session each)")
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
        rows = []
        for slow in options.slow:
            for label, extra in (("checkpoint", {}), ("full replay", {"FRESHREPL_CHECKPOINTS": "0"})):
                results = [session(home, slow, extra, memory=label == "checkpoint")
                           for _ in range(repeats)]
                rows.append((slow, label, results))

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:9.1f} ms ({seconds / base:5.1f}x)"

    print(f"References (median of {runs})                          vs python3 -c pass")
    print(f"{'python3 -c pass':<44}{ms(base)}")
    print(f"{'python3 -q, spawn -> first prompt':<44}{ms(statistics.median(python_prompt))}")
    print()
    print(f"Unsafe edit after a slow input, import mod and {CHEAP} cheap inputs; "
          f"'y' -> ... (median of {repeats})")
    print(f"{'slow input':>10}  {'restart':<12}{'resumed at':>11}{'replayed':>9}"
          f"{'y -> summary':>24}{'y -> prompt':>24}")
    for slow, label, results in rows:
        summary = statistics.median(r["summary"] for r in results)
        prompt = statistics.median(r["prompt"] for r in results)
        resumed = results[0]["resumed"]
        print(f"{slow:>8.1f} s  {label:<12}{resumed if resumed >= 0 else '-':>11}"
              f"{results[0]['replayed']:>9}{ms(summary):>24}{ms(prompt):>24}")
    print()
    for slow, label, results in rows:
        if label == "checkpoint":
            before = statistics.median(r["held_before"] for r in results)
            after = statistics.median(r["held_after"] for r in results)
            print(f"memory the checkpoints hold (slow input {slow:g} s): {before:.1f} MB after "
                  f"the restart, {after:.1f} MB once the live kernel rewrote its 200 MB buffer")


if __name__ == "__main__":
    main()
