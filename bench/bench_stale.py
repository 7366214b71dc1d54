"""Benchmark: what tracking stale values costs an input, next to the same input untracked.

Run:  python3 bench/bench_stale.py [--runs 7]

In one process, as the kernel runs an input (compiled as ``<stdin>``, run
in a ``__main__``-like namespace), with the kernel's own tracking
(``kernel/provenance.py`` and ``kernel/stale.py``) around it or not:

- an input that makes a million calls to a function of a user module;
- an input that makes a million calls to a pure-Python standard-library
  function (code outside the user's modules);
- an input that calls many different library functions once or a few times
  (argparse, difflib, email, json, textwrap): what the bookkeeping of one
  input costs, since library code is never instrumented;
- the bookkeeping alone of a one-line input when 1,000 inputs are in the
  record (1,000 names in the namespace, each made by its own input), and a
  reload's marking of stale values over those 1,000.

Untracked is exactly what python3 does with the input.  Times are the
thread's CPU time (other jobs on a shared machine do not count); tracked and
untracked runs alternate, so drift falls on both; the ratio is the median of
each pair's own ratio.  Where the interpreter has
``sys.monitoring`` the calls are recorded (budget: 5 % for the user
function, nothing for other code); elsewhere the input is read statically
once after it ran, whatever it does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from freshrepl import protocol  # noqa: E402
from freshrepl.kernel.provenance import Provenance  # noqa: E402
from freshrepl.kernel.stale import StaleLedger  # noqa: E402
from freshrepl.reload import Reloader  # noqa: E402

USER_MODULE = "def bump(x):\n    return x + 1\n"
USER_CALLS = "for i in range(1_000_000):\n    bump(i)\n"
STDLIB_CALLS = "for i in range(1_000_000):\n    basename('a/b')\n"
# One pass over many different library functions: each costs one callback per input.
WIDE_SETUP = "import argparse, difflib, email, json, textwrap"
WIDE_CALLS = (
    "parser = argparse.ArgumentParser(prog='x'); parser.add_argument('--n', type=int)\n"
    "ns = parser.parse_args(['--n', '3'])\n"
    "diff = list(difflib.unified_diff(['a', 'b', 'c'], ['a', 'c', 'd']))\n"
    "msg = email.message_from_string('Subject: hi\\n\\nbody')\n"
    "text = textwrap.fill('word ' * 200, 40); data = json.loads(json.dumps({'a': [1, 2]}))\n"
)


def fresh_namespace(setup: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(setup, namespace)
    return namespace


def run_input(ledger: StaleLedger | None, namespace: dict[str, object], source: str,
              position: int = 1) -> float:
    """Seconds to run one input as the kernel does, traced by ``ledger`` (None: untraced)."""
    begin = time.thread_time()
    code = compile(source, "<stdin>", "exec")
    if ledger is not None:
        ledger.begin()
    exec(code, namespace)
    if ledger is not None:
        ledger.end(position, source, [code], True)
    return time.thread_time() - begin


def paired(setup: str, source: str, runs: int, provenance: Provenance) -> tuple[float, float, float]:
    """Median untracked and tracked seconds, and the median of each pair's ratio."""
    plain_ns, tracked_ns = fresh_namespace(setup), fresh_namespace(setup)
    ledger = StaleLedger(tracked_ns, provenance)
    run_input(None, plain_ns, source)  # warm both
    run_input(ledger, tracked_ns, source)
    plain, tracked, ratios = [], [], []
    for run in range(runs):
        # Which goes first alternates: neither always runs right after the other's garbage.
        if run % 2:
            b = run_input(ledger, tracked_ns, source)
            a = run_input(None, plain_ns, source)
        else:
            a = run_input(None, plain_ns, source)
            b = run_input(ledger, tracked_ns, source)
        plain.append(a)
        tracked.append(b)
        ratios.append(b / a)
    return statistics.median(plain), statistics.median(tracked), statistics.median(ratios)


def bookkeeping(inputs: int, runs: int, provenance: Provenance) -> tuple[float, float]:
    """Per-input bookkeeping with ``inputs`` in the record, and one reload's marking (seconds)."""
    namespace = fresh_namespace("from userbench import bump")
    ledger = StaleLedger(namespace, provenance)
    for n in range(inputs):
        run_input(ledger, namespace, f"v{n} = bump({n}) if {n} % 2 else {n}", n + 1)
    costs = []
    for _ in range(runs * 20):
        untraced = run_input(None, namespace, "x = v1 + 1")
        traced = run_input(ledger, namespace, "x = v1 + 1", inputs + 1)
        costs.append(traced - untraced)
    result = protocol.ReloadResult("userbench", sys.modules["userbench"].__file__ or "",
                                   protocol.RELOADED, changed_names=["bump"])
    markings = []
    for _ in range(runs):  # marking again what is marked already costs the same
        begin = time.thread_time()
        ledger.after_reload([result])
        markings.append(time.thread_time() - begin)
    # Recorded: the odd inputs ran bump; read statically, each may have.
    assert len(result.stale) == (inputs // 2 if provenance.exact else inputs), len(result.stale)
    return statistics.median(costs), statistics.median(markings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        Path(root, "userbench.py").write_text(USER_MODULE)
        sys.path.insert(0, root)
        # As in the kernel: user modules are imported through the reload engine's hook
        # (which arms their functions), and the ledger exists before the first import.
        Reloader(types.ModuleType("__main__")).install()
        provenance = Provenance()
        method = "sys.monitoring" if provenance.exact else f"static ({provenance.why_static})"
        print(f"Python {sys.version.split()[0]}: what ran is {method}; {args.runs} pairs each")
        rows = [("1e6 calls of a user function", "from userbench import bump", USER_CALLS),
                ("1e6 calls of posixpath.basename", "from posixpath import basename", STDLIB_CALLS),
                ("argparse, difflib, email, json ...", WIDE_SETUP, WIDE_CALLS)]
        for name, setup, source in rows:
            plain, tracked, ratio = paired(setup, source, args.runs, provenance)
            print(f"{name:<34} untracked {plain * 1e3:8.2f} ms   tracked {tracked * 1e3:8.2f} ms"
                  f"   ratio {ratio:.3f}x ({(tracked - plain) * 1e3:+.2f} ms)")
        per_input, marking = bookkeeping(1000, args.runs, provenance)
        print(f"{'bookkeeping per input, 1,000 in the record':<44} {per_input * 1e6:8.1f} µs")
        print(f"{'a reload marking values stale, 1,000 made':<44} {marking * 1e6:8.1f} µs")
        provenance.close()


if __name__ == "__main__":
    main()
