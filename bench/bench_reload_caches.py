"""What clearing derived state costs a reload: one function edit in ``core.py`` while N user
modules import it (each with a class and an lru-cached function), and with a
cached_property class beside a million live objects (its values are dropped by one heap
walk).  Each case runs in a new process; the median of 7 reloads, in milliseconds.

    python3 bench/bench_reload_caches.py [--baseline OTHER_CHECKOUT/src]

``--baseline`` runs the same cases on another checkout's engine in the same run, case
by case in turn (a shared machine drifts), for a before/after.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")

CASE = r"""
import importlib, pathlib, statistics, sys, tempfile, time, types
src, importers, heap, cached = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4] == "1"
sys.path.insert(0, src)
from freshrepl.reload import Reloader
root = pathlib.Path(tempfile.mkdtemp()); sys.path.insert(0, str(root))
reloader = Reloader(types.ModuleType("__main__")); reloader.install()
core = "import functools\nX = 1\ndef f():\n    return {}\n"
extra = "\nclass P:\n    @functools.cached_property\n    def v(self):\n        return X\n" if cached else ""
(root / "core.py").write_text(core.format(0) + extra)
for i in range(importers):
    (root / f"m{i}.py").write_text(
        f"import functools\nimport core\nclass C{i}:\n    def m(self):\n        return core.f()\n"
        f"@functools.cache\ndef g{i}(x):\n    return x\n")
importlib.invalidate_caches()
importlib.import_module("core")
for i in range(importers):
    importlib.import_module(f"m{i}")
reloader.take_module_delta()
junk = [[i] for i in range(1_000_000)] if heap else []
times = []
for k in range(1, 8):
    (root / "core.py").write_text(core.format(k) + extra)
    start = time.perf_counter()
    results = reloader.reload([str(root / "core.py")])
    times.append((time.perf_counter() - start) * 1000)
    assert results and results[0].status == "reloaded", results
print(statistics.median(times))
"""

CASES = [
    ("a function edit, no importers", 0, False, False),
    ("... with 200 importing modules", 200, False, False),
    ("... with 2,000 importing modules", 2000, False, False),
    ("a cached_property class, 1M objects", 0, True, True),
]


def run(src: str, importers: int, heap: bool, cached: bool) -> float:
    args = [sys.executable, "-c", CASE, src, str(importers), str(int(heap)), str(int(cached))]
    return float(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="another checkout's src directory to compare with")
    parser.add_argument("--runs", type=int, default=3, help="processes per case (median)")
    options = parser.parse_args()
    header = "| case | this checkout |" + (" baseline |" if options.baseline else "")
    print(header)
    print("|---|---|" + ("---|" if options.baseline else ""))
    for name, importers, heap, cached in CASES:
        ours, theirs = [], []
        for _ in range(options.runs):
            ours.append(run(SRC, importers, heap, cached))
            if options.baseline:
                theirs.append(run(options.baseline, importers, heap, cached))
        row = f"| {name} | {statistics.median(ours):.1f} ms |"
        if options.baseline:
            row += f" {statistics.median(theirs):.1f} ms |"
        print(row)


if __name__ == "__main__":
    main()
