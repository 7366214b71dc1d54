"""Benchmark: the cost of colouring a result, next to what python3's displayhook does.

Run:  python3 bench/bench_kernel_display.py

For a few results, times ``repr(value)`` plus writing it (python3's own
displayhook) and the same with freshrepl's colouring added, both to an
in-memory stream; also pygments' PythonLexer on the same text, which the
kernel does not use for results because of this figure.  Medians of
repeated runs, as ratios to python3's.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from freshrepl.kernel.display import Highlighter  # noqa: E402

VALUES = {
    "2": 2,
    "small dict": {"name": "ada", "langs": ["python", "c"], "age": 36, "ok": True},
    "list(range(1000))": list(range(1000)),
    "dict of 700 lists": {str(i): [i, "x" * 5] for i in range(700)},
}


def median_time(show, value: object, repeat: int = 30) -> float:
    """Median seconds for ``show(value)`` writing to an in-memory stream."""
    out = io.StringIO()
    samples = []
    for _ in range(repeat):
        begin = time.perf_counter()
        out.write(show(value))
        samples.append(time.perf_counter() - begin)
    return statistics.median(samples)


def main() -> None:
    from pygments import highlight
    from pygments.formatters.terminal256 import Terminal256Formatter
    from pygments.lexers.python import PythonLexer

    highlighter = Highlighter()
    highlighter.result("1")  # pygments loaded before timing
    lexer, formatter = PythonLexer(stripnl=False, ensurenl=False), Terminal256Formatter()
    print(f"{'result':<20}{'chars':>7}{'python3':>12}{'coloured':>22}{'PythonLexer':>24}")
    for name, value in VALUES.items():
        plain = median_time(lambda v: repr(v) + "\n", value)
        colored = median_time(lambda v: highlighter.result(repr(v)) + "\n", value)
        pyg = median_time(lambda v: highlight(repr(v), lexer, formatter), value, repeat=5)
        print(f"{name:<20}{len(repr(value)):>7}{plain * 1e3:9.3f} ms"
              f"{colored * 1e3:10.3f} ms ({colored / plain:6.1f}x)"
              f"{pyg * 1e3:10.3f} ms ({pyg / plain:6.1f}x)")


if __name__ == "__main__":
    main()
