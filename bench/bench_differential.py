"""Benchmark: every edit of the differential corpora, checked against a fresh interpreter.

Run:  python3 bench/bench_differential.py [--quick] [--corpus hand|stdlib] [--only TEXT] [--verbose]

The kernel and the fresh interpreters run on the interpreter that runs this
script (run it with another one to check that version; cases needing a
library it lacks are skipped and said so).

Each edit is reloaded in a real freshrepl kernel and judged against a fresh
interpreter that imports the edited files (see tests/differential/checker.py):

- ``RIGHT``    reported reloaded, and every probe answers as the fresh interpreter does;
- ``REFUSED``  reported unsafe or failed, and nothing changed;
- ``WRONG``    reported reloaded but behaves otherwise, or refused yet changed;
- ``ERROR``    the case itself could not be judged (a broken probe, a dead kernel).

Two corpora: ``hand`` (pydantic, attrs, dataclasses, SQLAlchemy, msgspec,
enum, NamedTuple, TypedDict, __init_subclass__, class and function
decorators, closures, plain code, refusals) and ``stdlib`` (one constant
changed in one function of a copied pure-Python stdlib module, per edit).
The counts per corpus are printed, then every WRONG and ERROR with its reason,
then every REFUSED with the engine's reason (marked when the edit is one the
engine should apply, such as a method body).
``--quick`` runs every 8th stdlib edit.  Exit status 1 if anything is WRONG.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from differential import (  # noqa: E402
    corpus_classes,
    corpus_functions,
    corpus_indirect,
    corpus_stdlib,
)
from differential.case import Case  # noqa: E402
from differential.checker import ERROR, REFUSED, VERDICTS, WRONG, Checker, Verdict  # noqa: E402


def corpora(quick: bool) -> dict[str, tuple[list[Case], list[str]]]:
    """name: (cases, modules the fresh interpreters import up front)."""
    return {
        "hand": (corpus_classes.CASES + corpus_functions.CASES + corpus_indirect.CASES,
                 corpus_classes.PRELOAD + corpus_functions.PRELOAD + corpus_indirect.PRELOAD),
        "stdlib": (corpus_stdlib.cases(every=8 if quick else 1), corpus_stdlib.PRELOAD),
    }


def run(name: str, cases: list[Case], preload: list[str], verbose: bool) -> list[Verdict]:
    verdicts = []
    with Checker(preload=preload, probe_seconds=2.0) as checker:
        for verdict in checker.check_all(cases):
            verdicts.append(verdict)
            if verbose:
                print(f"  {verdict.line()}  ({verdict.seconds * 1000:.0f} ms)", flush=True)
    return verdicts


def report(name: str, verdicts: list[Verdict], seconds: float) -> None:
    counts = Counter(v.verdict for v in verdicts)
    figures = ", ".join(f"{v.lower()} {counts.get(v, 0)}" for v in VERDICTS)
    print(f"{name}: tried {len(verdicts)}, {figures}  ({seconds:.1f} s, "
          f"{seconds / max(1, len(verdicts)) * 1000:.0f} ms per edit)")
    for verdict in verdicts:
        if verdict.verdict in (WRONG, ERROR):
            print(f"  {verdict.line()}")
    for verdict in verdicts:  # what the engine refuses, and why (an honest outcome)
        if verdict.verdict == REFUSED:
            print(f"  {verdict.line()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every 8th stdlib edit only")
    parser.add_argument("--corpus", choices=("hand", "stdlib"), action="append")
    parser.add_argument("--only", help="cases whose name contains this text")
    parser.add_argument("--verbose", action="store_true", help="one line per case as it runs")
    args = parser.parse_args()
    wrong = 0
    for name, (cases, preload) in corpora(args.quick).items():
        if args.corpus and name not in args.corpus:
            continue
        if args.only:
            cases = [c for c in cases if args.only in c.name]
        missing = sorted({m for c in cases if (m := c.missing_library())})
        if missing:
            print(f"{name}: skipping the cases that need {', '.join(missing)} (not installed)")
            cases = [c for c in cases if not c.missing_library()]
        started = time.perf_counter()
        verdicts = run(name, cases, preload, args.verbose)
        report(name, verdicts, time.perf_counter() - started)
        wrong += sum(v.verdict == WRONG for v in verdicts)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
