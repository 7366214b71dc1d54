"""Benchmark: a long line pasted and run, freshrepl beside python3 in the same run.

Run:  python3 bench/bench_paste.py [--size CHARS] [--runs N] [--python313]

Each shell is spawned in an 80x24 pseudo-terminal with an isolated home (the
environment of the end-to-end tests, ``tests/term.py``).  At the first prompt
``s = 'abab…'`` (``--size`` characters, default 1,000,000) is pasted as a
bracketed paste (python3's readline takes it as typed), then Enter, then
``print(len(s))`` Enter; timed from the paste to the printed length and the
prompt after it.  Completion as you type must not make this slower than
python3 (issue 19: it once never came back).  Medians of ``--runs``;
``--python313`` adds python3.13's REPL (slow: about a minute a megabyte).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from term import SRC, isolated_env  # noqa: E402

PYTHON313 = "/root/.pyenv/versions/3.13.0/bin/python3"
ESC = rb"(?:\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>])*"


def contenders(python313: bool) -> dict[str, list[str]]:
    found = {"python3 -q": [sys.executable, "-q"]}
    if python313:
        found["python3.13 -q"] = [PYTHON313, "-q"]
    found["freshrepl -q"] = [sys.executable, "-m", "freshrepl", "-q"]
    return found


def measure_once(command: list[str], home: Path, cwd: Path, size: int) -> float:
    env = isolated_env(home, PYTHONPATH=SRC)
    child = pexpect.spawn(command[0], command[1:], env=env, cwd=str(cwd), dimensions=(24, 80),
                          timeout=600)
    child.delaybeforesend = None
    child.expect(b">>>")
    line = "s = '" + "ab" * (size // 2) + "'"
    started = time.perf_counter()
    child.send("\x1b[200~" + line + "\x1b[201~")
    child.send("\r")
    child.send("print(len(s))\r")
    child.expect(re.compile(rb"\n\r?" + ESC + str(size).encode() + ESC + rb"\r?\n.*?>>>", re.S))
    elapsed = time.perf_counter() - started
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python313", action="store_true")
    args = parser.parse_args()
    commands = contenders(args.python313)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as tmp:
        home, cwd = Path(tmp) / "home", Path(tmp) / "project"
        cwd.mkdir()
        for _ in range(args.runs):  # interleaved: load changes hit every contender alike
            for name, command in commands.items():
                samples[name].append(measure_once(command, home, cwd, args.size))
    base = statistics.median(samples["python3 -q"])
    print(f"80x24 pty, a pasted line of {args.size:,} characters, Enter, print(len(s)): "
          f"medians of {args.runs}")
    for name, times in samples.items():
        median = statistics.median(times)
        print(f"{name:<15}{median:9.2f} s ({median / base:5.2f}x, {median - base:+.2f} s)"
              f"   runs: {', '.join(f'{t:.2f}' for t in times)}")


if __name__ == "__main__":
    main()
