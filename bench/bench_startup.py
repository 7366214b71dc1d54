"""Benchmark: how soon the shell answers, side by side with python3 -q, and what it imports.

Run:  python3 bench/bench_startup.py [--runs N] [--trips N] [--pause S] [--input TEXT]
                                    [--no-profile] [--profiles N]

Every shell is spawned in an 80x24 pseudo-terminal with an isolated home (the
environment the end-to-end tests use, ``tests/term.py``) and driven as a
person who types at once would:

* spawn -> first result: ``6*7`` Enter is typed the moment the first ``>>>``
  arrives; timed until ``42`` is on the screen;
* Enter -> result and Enter -> next prompt for ``1+1``: ``1+1`` is typed and
  its echo awaited, then, after ``--pause`` seconds (a person's pause before
  Enter; 0 times a machine typist, whose Enter meets the shell still busy
  with the echo), Enter is timed until ``2`` and until the next ``>>>``.
  ``--input`` types another input whose value is 2 instead: ``len('ab')``
  makes the shell ask for completions and a signature while it is typed.

Contenders: ``python3 -q`` (the interpreter running this script), ``python3.13
-q`` when installed, and ``freshrepl -q`` from this checkout.  Figures are
medians over ``--runs`` spawns (and ``--trips`` inputs per spawn), with ratios
to ``python3 -q`` from the same run.  Then the import-time profile (``-X
importtime``) of freshrepl's two processes: the shell (its interpreter's
``-X importtime``, stderr to a file) and the kernel (freshrepl's own ``-X
importtime``, which goes to the kernel only), top items by cumulative time,
medians over ``--profiles`` spawns.  A flag for the kernel makes freshrepl
spawn it rather than fork it from the shell, so that profile is of a spawned
kernel: it also lists what a forked one inherits from the shell (site,
threading, the protocol).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from term import SRC, isolated_env  # noqa: E402

ROWS, COLS = 24, 80
ESC = rb"(?:\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>])*"  # CSI sequences, keypad modes
PROMPT = re.compile(rb">>>")  # prompt_toolkit draws the blank as a cursor move
FIRST_RESULT = re.compile(rb"\n\r?" + ESC + rb"42" + ESC + rb"\r?\n")
RESULT = re.compile(rb"\n\r?" + ESC + rb"2" + ESC + rb"\r?\n")


def echo_of(text: str) -> re.Pattern[bytes]:
    """``text`` as the shell draws it: any colour or cursor codes between its characters."""
    return re.compile(ESC.join(re.escape(char.encode()) for char in text))


def contenders() -> dict[str, list[str]]:
    """Name -> command, on the interpreter running this script.

    ``sys.executable`` as given, not resolved: in a virtual environment that
    is the environment's interpreter, whose site-packages is what a user of
    freshrepl installed there gets (a base interpreter may load .pth files of
    its own on every start, which would be counted twice for freshrepl).
    """
    python = sys.executable
    found = {"python3 -q": [python, "-q"]}
    if sys.version_info[:2] != (3, 13):
        for candidate in ("/root/.pyenv/versions/3.13.0/bin/python3", "python3.13"):
            path = candidate if os.path.isabs(candidate) else _which(candidate)
            if path and os.access(path, os.X_OK):
                found["python3.13 -q"] = [path, "-q"]
                break
    found["freshrepl -q"] = [python, "-m", "freshrepl", "-q"]
    return found


def _which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


def bench_env(home: Path, **extra: str) -> dict[str, str]:
    """The tests' isolated environment, with bytecode caching on as in an installed freshrepl."""
    env = isolated_env(home, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE")
    return env


def spawn(command: list[str], home: Path, cwd: Path, **extra: str) -> pexpect.spawn:
    child = pexpect.spawn(command[0], command[1:], env=bench_env(home, **extra), cwd=str(cwd),
                          dimensions=(ROWS, COLS), timeout=20)
    child.delaybeforesend = None
    return child


def measure_once(command: list[str], home: Path, cwd: Path, trips: int,
                 pause: float, typed: str = "1+1") -> dict[str, float]:
    """One spawn: the first result, then ``trips`` timed inputs ``typed`` (whose value is 2)."""
    started = time.perf_counter()
    child = spawn(command, home, cwd)
    child.expect(PROMPT)
    child.send("6*7\r")
    child.expect(FIRST_RESULT)
    first = time.perf_counter() - started
    child.expect(PROMPT)
    to_result, to_prompt = [], []
    for _ in range(trips + 1):  # the first one warms up
        child.send(typed)
        child.expect(echo_of(typed))
        if pause:
            time.sleep(pause)
        begin = time.perf_counter()
        child.send("\r")
        child.expect(RESULT)
        result = time.perf_counter()
        child.expect(PROMPT)
        to_result.append(result - begin)
        to_prompt.append(time.perf_counter() - begin)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    return {"first result": first, "Enter -> result": statistics.median(to_result[1:]),
            "Enter -> prompt": statistics.median(to_prompt[1:])}


def import_profile(command: list[str], home: Path, cwd: Path, kernel: bool) -> list[tuple[int, int, str]]:
    """(cumulative us, self us, module) of one process, from ``-X importtime``.

    The shell's interpreter gets ``-X importtime`` for the shell; freshrepl's
    own ``-X importtime`` goes to the kernel alone.  stderr goes to a file
    (both processes share it; only the profiled one writes import lines).
    """
    log = home / ("kernel.importtime" if kernel else "shell.importtime")
    python, *rest = command
    argv = [python, *rest, "-X", "importtime"] if kernel else [python, "-X", "importtime", *rest]
    quoted = " ".join(_quote(a) for a in argv)
    child = pexpect.spawn("/bin/sh", ["-c", f"exec {quoted} 2>{_quote(str(log))}"],
                          env=bench_env(home), cwd=str(cwd), dimensions=(ROWS, COLS), timeout=20)
    child.expect(PROMPT)
    child.send("6*7\r")
    child.expect(FIRST_RESULT)
    child.expect(PROMPT)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    rows = []
    for line in log.read_text().splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (.*)$", line)
        if match:
            rows.append((int(match[2]), int(match[1]), match[3]))
    return rows


def median_profile(runs: list[list[tuple[int, int, str]]]) -> list[tuple[int, int, str]]:
    """Per module, the median of several profiles (one spawn's figures swing with the load)."""
    by_module: dict[str, list[tuple[int, int]]] = {}
    for rows in runs:
        for cumulative, own, module in rows:
            by_module.setdefault(module, []).append((cumulative, own))
    return [(int(statistics.median(c for c, _ in v)), int(statistics.median(o for _, o in v)), m)
            for m, v in by_module.items()]


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def report_profile(name: str, rows: list[tuple[int, int, str]], top: int = 12) -> None:
    total = sum(own for _cum, own, _name in rows)
    print(f"\n{name}: {len(rows)} modules imported, {total / 1000:.1f} ms in imports; top by cumulative time")
    outer = [row for row in rows if not row[2].startswith("  ")]
    for cumulative, own, module in sorted(outer, reverse=True)[:top]:
        print(f"  {cumulative / 1000:7.1f} ms cumulative {own / 1000:6.1f} ms self  {module.strip()}")
    print("  heaviest single modules (self time):")
    for _cumulative, own, module in sorted(rows, key=lambda r: -r[1])[:top // 2]:
        print(f"  {own / 1000:7.1f} ms self  {module.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--trips", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds between the echo of the input and Enter (default 0)")
    parser.add_argument("--input", default="1+1", help="the timed input; its value must be 2")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--profiles", type=int, default=5, help="spawns per import profile")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = SRC  # isolated_env sets it too: this checkout's freshrepl
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home, cwd = Path(tmp) / "home", Path(tmp) / "project"
        cwd.mkdir()
        commands = contenders()
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so load changes hit every contender alike
            for name, command in commands.items():
                samples[name].append(measure_once(command, home, cwd, args.trips, args.pause,
                                                  args.input))
        for name, rows in samples.items():
            results[name] = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        base = results["python3 -q"]
        print(f"{ROWS}x{COLS} pty, medians of {args.runs} spawns x {args.trips} inputs, "
              f"Enter {args.pause * 1000:.0f} ms after the echo of {args.input}")
        print(f"{'':<15}" + "".join(f"{key:>24}" for key in base))
        for name, figures in results.items():
            cells = "".join(f"{v * 1000:11.2f} ms ({v / base[k]:5.2f}x)" for k, v in figures.items())
            print(f"{name:<15}{cells}")
        if not args.no_profile:
            fresh = commands["freshrepl -q"]
            for name, kernel in (("shell", False), ("kernel", True)):
                runs = [import_profile(fresh, home, cwd, kernel) for _ in range(args.profiles)]
                report_profile(name, median_profile(runs))


if __name__ == "__main__":
    main()
