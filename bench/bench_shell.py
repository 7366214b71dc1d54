"""Benchmark: start-up, one round trip, exit and memory, side by side with python3 -q.

Run:  python3 bench/bench_shell.py [--runs N]

Each shell is spawned in a pseudo-terminal (as a person would use it) and
timed from spawn to its first prompt, from Enter on ``1+1`` to the next
prompt, and from Ctrl-D to exit; RSS is summed over the shell and its
children (freshrepl's kernel).  ptpython and IPython are measured too where
installed.  Figures are medians, reported as ratios to ``python3 -q`` from the
same run.  The interpreters are invoked directly (not through pyenv shims).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

import pexpect

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")  # this checkout
PROMPT = re.compile(rb">>>|In \[\d+\]:")
# The result on a line of its own, then the next prompt.
RESULT_AND_PROMPT = re.compile(rb"\n(?:\x1b\[[0-9;? ]*[A-Za-z])*(?:Out\[\d+\]: )?(?:\x1b\[[0-9;? ]*[A-Za-z])*2(?:\x1b\[[0-9;? ]*[A-Za-z])*\r*\n.*?(?:>>>|In \[\d+\]:)", re.S)


def contenders() -> dict[str, list[str]]:
    python = os.path.realpath(sys.executable)
    found = {"python3 -q": [python, "-q"]}
    here = os.path.dirname(sys.executable)
    script = os.path.join(here, "freshrepl")
    found["freshrepl -q"] = [script, "-q"] if os.path.exists(script) else [python, "-m", "freshrepl", "-q"]
    for name, command in (("ptpython", ["ptpython"]), ("ipython", ["ipython", "--no-banner", "--colors=NoColor"])):
        path = shutil.which(command[0], path=here + os.pathsep + os.environ.get("PATH", ""))
        if path:
            found[name] = [path, *command[1:]]
    return found


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    pending.extend(int(child) for child in f.read().split())
        except (OSError, StopIteration):
            continue
    return total


def measure_once(command: list[str], home: str) -> dict[str, float]:
    env = dict(os.environ, HOME=home, XDG_STATE_HOME=os.path.join(home, "state"),
               XDG_CACHE_HOME=os.path.join(home, "cache"), PYTHONPATH=SRC,
               PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", PYTHONSTARTUP="")
    env.pop("PYTHONSTARTUP")
    started = time.perf_counter()
    child = pexpect.spawn(command[0], command[1:], env=env, dimensions=(40, 120), timeout=20)
    child.delaybeforesend = None
    child.expect(PROMPT)
    first_prompt = time.perf_counter() - started
    # Let the shell settle before timing inputs (ptpython drops keys typed the
    # instant its first prompt is drawn; a freshrepl kernel finishes starting).
    time.sleep(0.3)
    child.send("1+1\r")
    child.expect(RESULT_AND_PROMPT)
    trips = []
    for _ in range(30):
        time.sleep(0.01)
        begin = time.perf_counter()
        child.send("1+1\r")
        child.expect(RESULT_AND_PROMPT)
        trips.append(time.perf_counter() - begin)
    time.sleep(0.05)
    memory = rss_kib(child.pid)
    begin = time.perf_counter()
    child.send("\x04")
    if child.expect([pexpect.EOF, rb"want to exit"]) == 1:
        child.send("y\r")  # IPython asks to confirm
        child.expect(pexpect.EOF)
    leave = time.perf_counter() - begin
    child.close()
    return {"first_prompt": first_prompt, "round_trip": statistics.median(trips),
            "exit": leave, "rss_mib": memory / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as home:
        for name, command in contenders().items():
            samples = [measure_once(command, home) for _ in range(runs)]
            results[name] = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    base = results["python3 -q"]
    print(f"{'shell':<14}{'first prompt':>20}{'1+1 round trip':>22}{'exit':>18}{'RSS':>16}")
    for name, r in results.items():
        print(
            f"{name:<14}"
            f"{r['first_prompt'] * 1000:9.1f} ms ({r['first_prompt'] / base['first_prompt']:4.1f}x)"
            f"{r['round_trip'] * 1000:10.2f} ms ({r['round_trip'] / base['round_trip']:5.1f}x)"
            f"{r['exit'] * 1000:8.1f} ms ({r['exit'] / base['exit']:4.1f}x)"
            f"{r['rss_mib']:9.1f} MiB"
        )


if __name__ == "__main__":
    main()
