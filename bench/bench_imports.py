"""Benchmark: importing many small user modules, time and memory, side by side with python3 -q.

Run:  python3 bench/bench_imports.py [--modules N] [--runs N] [--padding BYTES]

A project of N generated modules (default 2,000, about 185 bytes each) and a
``load_all`` module importing them all.  In ``python3 -q`` and ``freshrepl
-q`` (spawned in a pty, as in bench_startup.py), ``import load_all; 7003`` is
timed from Enter to the value and the next prompt, in two cache states, each
the same for both:

* cold: no bytecode anywhere (no ``__pycache__``, an empty freshrepl cache);
  both compile every module (and write their caches);
* warm: the same shell imported the same files once before (python3 reads its
  ``.pyc`` files, freshrepl its own code cache, checked against the bytes);
* ckpt: warm, and freshrepl takes a checkpoint after the import (as it does
  after any input slower than ``checkpoint_after``, 1 s by default).

The CPU time (user and system) both of freshrepl's processes used from Enter
to the prompt is printed too: on a machine shared with other work it varies
far less than the wall time.

``--alone RUNS``: also the import alone, in a fresh process without a
terminal or a shell, plain and through freshrepl's import hook (the hook's
own cost, with less noise than a whole session).

Memory: the resident size of the process running the code (python3 itself,
freshrepl's kernel) before and after the import; what freshrepl keeps per
module is its growth beyond python3's, divided by N, against the mean source
size.  Medians over ``--runs`` spawns.
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
from pathlib import Path

import pexpect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reload import MODULE  # noqa: E402  (the same generated modules)
from bench_startup import PROMPT, bench_env, spawn  # noqa: E402

ESC = rb"(?:\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>])*"


def make_project(root: Path, count: int, padding: int = 0) -> int:
    """Write the modules and ``load_all.py``; the modules' total size in bytes.

    ``padding``: about that many bytes of comment lines added to each module
    (a bigger source, the same objects).
    """
    root.mkdir(parents=True)
    total = 0
    comment = "# " + "x" * 77 + "\n"
    for i in range(count):
        text = MODULE.format(i=i) + comment * (padding // len(comment))
        (root / f"m{i:04d}.py").write_text(text)
        total += len(text.encode())
    (root / "load_all.py").write_text("".join(f"import m{i:04d}\n" for i in range(count)))
    return total


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used (steadier than wall time on a busy machine)."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def code_process(shell_pid: int, freshrepl: bool) -> int:
    """The process that runs the user's code: the kernel (the shell's only child) or python3."""
    if not freshrepl:
        return shell_pid
    with open(f"/proc/{shell_pid}/task/{shell_pid}/children") as f:
        return int(f.read().split()[0])


def value_then_prompt(value: int) -> re.Pattern[bytes]:
    return re.compile(rb"\n\r?" + ESC + str(value).encode() + ESC + rb"\r?\n.*?>>>", re.S)


def measure(command: list[str], home: Path, project: Path, freshrepl: bool,
            **extra: str) -> dict[str, float]:
    """One spawn: ``import load_all`` timed, and the code process's growth in KiB."""
    child = spawn(command, home, project, **extra)
    child.timeout = 120
    child.expect(PROMPT)
    # The kernel is up and has answered once (with checkpoints after 10 ms, this
    # input is followed by one: the memory measured per module leaves out what
    # the first checkpoint loads once per kernel).
    child.send("__import__('time').sleep(0.05) or 7001\r")
    child.expect(value_then_prompt(7001))
    # Start-up work deferred until idle (the shell's editor, the kernel's reload
    # machinery: bench_startup.py times those) is over before the import is timed.
    time.sleep(SETTLE)
    pid = code_process(child.pid, freshrepl)
    before = rss_kib(pid)
    processes = sorted({child.pid, pid})  # freshrepl: the shell and its kernel
    cpu_before = cpu_seconds(processes)
    # A value after the import marks its end: the editor may redraw its prompt
    # (a completion menu going away) at any moment, so a prompt marks nothing.
    child.send("import load_all; 7003")
    child.expect(b"7003")  # echoed: only Enter is timed
    begin = time.perf_counter()
    child.send("\r")
    child.expect(value_then_prompt(7003))
    elapsed = time.perf_counter() - begin
    cpu = cpu_seconds(processes) - cpu_before
    child.send("7002+0\r")
    child.expect(value_then_prompt(7002))
    time.sleep(0.2)
    grown = rss_kib(pid) - before
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    return {"seconds": elapsed, "cpu": cpu, "kib": grown}


SETTLE = 1.0  # seconds

# Cache states, in the order measured, and what freshrepl is told for each.
STATES: dict[str, dict[str, str]] = {
    "cold": {},
    "warm": {},
    # A checkpoint follows the import (see "Checkpoints" in the README): it costs time and memory.
    "ckpt": {"FRESHREPL_CHECKPOINT_AFTER": "0.01"},
}


# The import alone, in one process: python3's own, or through freshrepl's hook.
_IMPORT_ALONE = """
import sys, time, types
sys.path.insert(0, {project!r})
if {hooked!r}:
    from freshrepl.reload import Reloader
    Reloader(types.ModuleType("__main__")).install()
start = time.perf_counter()
import load_all
print(time.perf_counter() - start)
"""


def import_alone(home: Path, project: Path, hooked: bool) -> float:
    """Seconds ``import load_all`` takes in a fresh process, without a terminal or a shell."""
    import subprocess

    env = bench_env(home)
    code = _IMPORT_ALONE.format(project=str(project), hooked=hooked)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True, timeout=120)
    return float(done.stdout.split()[-1])


def report_import_alone(home: Path, project: Path, runs: int) -> None:
    """The hook's own cost: the same import, cold and warm, alone in a process."""
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(runs):
        clear_caches(project, home)
        for state in ("cold", "warm"):
            for hooked in (False, True):
                times.setdefault((state, hooked), []).append(import_alone(home, project, hooked))
    print("  the import alone in one process (no terminal, no shell), through freshrepl's hook:")
    for state in ("cold", "warm"):
        plain, hooked = times[(state, False)], times[(state, True)]
        ratio = statistics.median(h / p for h, p in zip(hooked, plain, strict=True))
        print(f"  {state:<5} python3 {statistics.median(plain) * 1000:7.1f} ms   hooked "
              f"{statistics.median(hooked) * 1000:7.1f} ms ({ratio:4.2f}x, best "
              f"{min(hooked) / min(plain):4.2f}x)")


def paired(rows: list[dict[str, float]], base: list[dict[str, float]], key: str) -> float:
    """The median of the ratios of samples taken in the same run."""
    return statistics.median(r[key] / b[key] for r, b in zip(rows, base, strict=True))


def clear_caches(project: Path, home: Path) -> None:
    shutil.rmtree(project / "__pycache__", ignore_errors=True)
    shutil.rmtree(home / "cache" / "freshrepl", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--padding", type=int, default=0,
                        help="bytes of comments added to each module (default 0)")
    parser.add_argument("--alone", type=int, default=0, metavar="RUNS",
                        help="also time the import alone in one process, RUNS times")
    args = parser.parse_args()
    python = sys.executable
    commands = {"python3 -q": [python, "-q"], "freshrepl -q": [python, "-m", "freshrepl", "-q"]}
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home, project = Path(tmp) / "home", Path(tmp) / "project"
        source_bytes = make_project(project, args.modules, args.padding)
        for _ in range(args.runs):
            clear_caches(project, home)  # the two shells' caches are their own
            # Each state measured for both shells in turn: a machine shared with other
            # work drifts in speed, and the ratios pair samples taken moments apart.
            for state, extra in STATES.items():
                for name, command in commands.items():
                    result = measure(command, home, project, name.startswith("freshrepl"), **extra)
                    samples.setdefault((name, state), []).append(result)
        if args.runs:
            report(samples, commands, args.modules, args.runs, source_bytes / args.modules)
        if args.alone:
            report_import_alone(home, project, args.alone)


def report(samples: dict[tuple[str, str], list[dict[str, float]]], commands: dict[str, list[str]],
           modules: int, runs: int, mean_size: float) -> None:
    """The table: each shell's time, CPU and growth per cache state, and what freshrepl keeps."""
    median = {key: {k: statistics.median(r[k] for r in rows) for k in rows[0]}
              for key, rows in samples.items()}
    print(f"import load_all: {modules} modules of {mean_size:.0f} bytes on average, "
          f"medians of {runs} runs (ratios: medians of the runs' own ratios; "
          f"best: the fastest against the fastest, what noise cannot add to)")
    for state in STATES:
        base = samples[("python3 -q", state)]
        for name in commands:
            rows = samples[(name, state)]
            r = median[(name, state)]
            best = min(x["seconds"] for x in rows) / min(x["seconds"] for x in base)
            print(f"  {state:<5} {name:<13} {r['seconds'] * 1000:8.1f} ms "
                  f"({paired(rows, base, 'seconds'):4.2f}x, best {best:4.2f}x)   "
                  f"CPU {r['cpu'] * 1000:6.0f} ms ({paired(rows, base, 'cpu'):4.2f}x)   "
                  f"process grew {r['kib'] / 1024:6.1f} MiB")
    extra = {state: (median[("freshrepl -q", state)]["kib"] - median[("python3 -q", state)]["kib"])
             * 1024 / modules for state in STATES}
    for state, per_module in extra.items():
        print(f"  kept by freshrepl per module ({state}): {per_module:.0f} bytes "
              f"= {per_module / mean_size:.2f}x the source size")


if __name__ == "__main__":
    main()
