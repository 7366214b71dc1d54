"""Benchmark: freshrepl's :restart with replay of K inputs, beside python3's own start-up.

Run:  python3 bench/bench_restart.py [--quick]

freshrepl is spawned in a pseudo-terminal, given K cheap inputs
(``x{i} = {i}``, K = 10, 100, 1000; each typed after the previous prompt)
and then restarted a few times in a row: each ``:restart`` is timed from
Enter to the ``replayed K inputs`` summary line and to the next prompt, and
the session is checked afterwards (``x{K-1}`` must answer ``K-1``).  A session
whose inputs import heavy standard-library modules plus a few cheap inputs is
timed the same way, and ``:restart --no-replay`` from Enter until a new input
is answered.  Beside them, from the same run: ``python3 -c pass``,
``python3 -c 'import <the same modules>'`` and ``python3 -q`` spawn -> first
prompt (and freshrepl's).  The interpreters are invoked directly (not through
pyenv shims); figures are medians, with ratios to ``python3 -c pass``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import term  # noqa: E402  (the pty driver the tests use too)

PYTHON = os.path.realpath(sys.executable)
PROMPT = re.compile(rb">>>")
# The shell finishes reading a line (its line ends), then draws the next prompt; at the
# early prompt (before the editor is up) no escape sequence comes between.
ACCEPTED_AND_PROMPT = re.compile(rb"\n.*?>>>", re.S)
SUMMARY = re.compile(rb"replayed (\d+) inputs? in ([0-9.]+) s")
HEAVY_IMPORTS = [
    "import asyncio",
    "import unittest",
    "import email.mime.multipart, json, decimal",
    "import http.client, xml.dom.minidom, argparse, logging",
]
HEAVY_SESSION = [*HEAVY_IMPORTS, "a = 1", "b = [a] * 10", "c = {'k': b}", "d = decimal.Decimal('1.5')",
                 "loop = asyncio.new_event_loop()"]


def spawn(command: list[str], home: str) -> tuple[pexpect.spawn, float]:
    """Start ``command`` in a pty; the child and seconds to its first prompt."""
    begin = time.perf_counter()
    child = term.spawn_child(command, term.isolated_env(Path(home)), home, rows=40, cols=160,
                             timeout=120)
    child.expect(PROMPT)
    return child, time.perf_counter() - begin


def answer(child: pexpect.spawn, line: str, value: str) -> float:
    """Enter ``line``; seconds until ``value`` is printed on its own line and the next prompt."""
    begin = time.perf_counter()
    child.send(line + "\r")
    child.expect(term.answered(value))
    return time.perf_counter() - begin


def freshrepl_command() -> list[str]:
    return [*term.freshrepl_command(), "-q"]


leave = term.leave


def feed(child: pexpect.spawn, lines: list[str]) -> None:
    for line in lines:
        child.send(line + "\r")
        child.expect(ACCEPTED_AND_PROMPT)


def timed_restarts(child: pexpect.spawn, expected: int, repeats: int, check: tuple[str, str]) -> dict[str, float]:
    """``:restart`` ``repeats`` times; medians of Enter -> summary, Enter -> prompt, and the reported time."""
    summary, prompt, reported = [], [], []
    for _ in range(repeats):
        time.sleep(0.2)
        begin = time.perf_counter()
        child.send(":restart\r")
        child.expect(SUMMARY)
        summary.append(time.perf_counter() - begin)
        count, seconds = int(child.match.group(1)), float(child.match.group(2))
        child.expect(PROMPT)
        prompt.append(time.perf_counter() - begin)
        reported.append(seconds)
        if count != expected:
            raise SystemExit(f"replayed {count} inputs, expected {expected}")
        # The check is itself a successful input: the next replay has one more.
        answer(child, *check)
        expected += 1
    return {"summary": statistics.median(summary), "prompt": statistics.median(prompt),
            "reported": statistics.median(reported)}


def python_runs(arguments: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        begin = time.perf_counter()
        subprocess.run([PYTHON, *arguments], check=True)
        samples.append(time.perf_counter() - begin)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sessions, fewer repeats")
    quick = parser.parse_args().quick
    sizes = [10, 100] if quick else [10, 100, 1000]
    repeats = 2 if quick else 5
    runs = 5 if quick else 15
    with tempfile.TemporaryDirectory() as home:
        base = python_runs(["-c", "pass"], runs)
        imports = python_runs(["-c", "; ".join(HEAVY_IMPORTS)], runs)
        python_prompt, freshrepl_prompt = [], []
        for _ in range(runs):
            child, seconds = spawn([PYTHON, "-q"], home)
            python_prompt.append(seconds)
            leave(child)
            child, seconds = spawn(freshrepl_command(), home)
            freshrepl_prompt.append(seconds)
            answer(child, "6*7", "42")
            leave(child)

        rows: list[tuple[str, dict[str, float]]] = []
        for size in sizes:
            child, _ = spawn(freshrepl_command(), home)
            feed(child, [f"x{i} = {i}" for i in range(size)])
            rows.append((f"{size} inputs x{{i}} = {{i}}",
                         timed_restarts(child, size, repeats, (f"x{size - 1}", str(size - 1)))))
            leave(child)
        child, _ = spawn(freshrepl_command(), home)
        feed(child, HEAVY_SESSION)
        rows.append((f"{len(HEAVY_SESSION)} inputs, {len(HEAVY_IMPORTS)} heavy imports",
                     timed_restarts(child, len(HEAVY_SESSION), repeats, ("str(d * 2)", "'3.0'"))))
        no_replay = []
        for _ in range(repeats):
            time.sleep(0.2)
            begin = time.perf_counter()
            child.send(":restart --no-replay\r")
            child.expect(ACCEPTED_AND_PROMPT)
            answer(child, "6*7", "42")
            no_replay.append(time.perf_counter() - begin)
        leave(child)

    def line(label: str, seconds: float) -> str:
        return f"{label:<46}{seconds * 1000:10.1f} ms{seconds / base:8.1f}x"

    print(f"Start-up references (median of {runs})                    vs python3 -c pass")
    print(line("python3 -c pass", base))
    print(line("python3 -c 'import <the heavy modules>'", imports))
    print(line("python3 -q, spawn -> first prompt", statistics.median(python_prompt)))
    print(line("freshrepl -q, spawn -> first prompt", statistics.median(freshrepl_prompt)))
    print(line(":restart --no-replay, Enter -> 6*7 answered", statistics.median(no_replay)))
    print()
    print(f":restart with replay (median of {repeats} restarts)")
    print(f"{'session':<40}{'Enter -> summary':>22}{'Enter -> prompt':>22}{'reported':>12}")
    for label, r in rows:
        print(f"{label:<40}{r['summary'] * 1000:9.1f} ms ({r['summary'] / base:4.1f}x)"
              f"{r['prompt'] * 1000:11.1f} ms ({r['prompt'] / base:4.1f}x)"
              f"{r['reported']:10.2f} s")
    low, high = rows[0][1]["prompt"], rows[len(sizes) - 1][1]["prompt"]
    slope = (high - low) / (sizes[-1] - sizes[0])
    print(f"replay cost per cheap input ({sizes[0]} -> {sizes[-1]} inputs): {slope * 1e6:.0f} µs")

if __name__ == "__main__":
    main()
