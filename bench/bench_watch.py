"""Benchmark: the file watcher's costs — sync() before every input, and save-to-wake-up latency.

Run:  python3 bench/bench_watch.py [--files N] [--rounds N]

``sync()`` runs before every input the user types, so its cost is paid on
every prompt.  It is measured with N watched files (default 2,000, a large
project) in three states, against the naive barrier measured in the same run
on the same files: one ``os.stat`` per file (what sync() does where no inotify
journal exists, and after lost events).

- ``idle``: nothing was written since the last sync (the usual prompt);
- ``one saved``: one file was rewritten since the last sync;
- ``polling``: ``Watcher(polling=True)`` (no watchdog; the journal still
  serves sync()).

The latency is from the end of a plain ``write()`` to the ``on_change`` call
(the wake-up that makes the prompt reload), which waits for the save to
settle (10 ms quiet, 40 ms at most), so ~10 ms is the expected figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from freshrepl.watch.watcher import Watcher  # noqa: E402

# A file whose ctime is this old is no longer "racy" (its bytes are not kept),
# which is the state of nearly every file at a prompt.
_AGE_S = 0.1


def median_us(fn: Callable[[], object], rounds: int, before: Callable[[], object] = int) -> float:
    """Median time of ``fn()`` in µs, each round after an untimed ``before()``."""
    times = []
    for _ in range(rounds):
        before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def make_files(root: Path, count: int) -> list[str]:
    """``count`` modules spread over 20 directories, aged past the racy window."""
    paths = []
    for i in range(count):
        d = root / f"pkg{i % 20}"
        d.mkdir(exist_ok=True)
        p = d / f"m{i}.py"
        p.write_text("x = 1\n")
        paths.append(str(p))
    time.sleep(_AGE_S)
    return paths


def bench_sync(paths: list[str], rounds: int) -> None:
    stat_sweep = median_us(lambda: [os.stat(p) for p in paths], rounds)
    watcher = Watcher(lambda: None)
    polling = Watcher(lambda: None, polling=True)
    try:
        watcher.watch(paths)
        polling.watch(paths)
        watcher.sync()
        idle = median_us(watcher.sync, rounds)
        target = Path(paths[len(paths) // 2])
        saved = median_us(watcher.sync, rounds, before=lambda: target.write_text("x = 2\n"))
        polled = median_us(polling.sync, rounds)
    finally:
        watcher.stop()
        polling.stop()
    print(f"sync() with {len(paths)} watched files, median of {rounds} "
          "(µs; ratio to a stat sweep)")
    print(f"  {'stat of every file':<22}{stat_sweep:>10.1f}")
    for name, us in (("idle", idle), ("one saved", saved), ("polling", polled)):
        print(f"  {name:<22}{us:>10.1f}{us / stat_sweep:>10.3f}x")


def bench_latency(root: Path, rounds: int) -> None:
    mod = root / "latency.py"
    mod.write_text("x = 0\n")
    woke = threading.Event()
    called_at: list[float] = []

    def on_change() -> None:
        called_at.append(time.perf_counter())
        woke.set()

    watcher = Watcher(on_change)
    latencies = []
    try:
        watcher.watch([str(mod)])
        for i in range(rounds):
            watcher.sync()  # settle the previous save, so its late events cannot fire
            watcher.take_pending()
            woke.clear()
            called_at.clear()
            t0 = time.perf_counter()
            mod.write_text(f"x = {i % 10}\n")
            if not woke.wait(5.0):
                raise SystemExit("on_change was not called within 5 s")
            latencies.append(called_at[0] - t0)
    finally:
        watcher.stop()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"save -> on_change, {rounds} saves (ms)")
    print(f"  median {statistics.median(latencies) * 1e3:.2f}, p95 {p95 * 1e3:.2f}, "
          f"max {latencies[-1] * 1e3:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench_sync(make_files(root, args.files), args.rounds)
        bench_latency(root, min(args.rounds, 50))


if __name__ == "__main__":
    main()
