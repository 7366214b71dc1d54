"""Benchmark: every edit of the differential corpora, checked against a fresh interpreter.

Run:  python3 bench/bench_differential.py [--quick] [--corpus NAME]... [--only TEXT] [--verbose]

The kernel and the fresh interpreters run on the interpreter that runs this
script (run it with another one to check that version; cases needing a
library it lacks are skipped and said so).

Each edit is reloaded in a real freshrepl kernel and judged against a fresh
interpreter that imports the edited files (see tests/differential/checker.py):

- ``RIGHT``    reported reloaded, and every probe answers as the fresh interpreter does;
- ``REFUSED``  reported unsafe or failed, and nothing changed;
- ``WRONG``    reported reloaded but behaves otherwise, or refused yet changed;
- ``ERROR``    the case itself could not be judged (a broken probe, a dead kernel).

The corpora (``tests/differential/corpora.py``): ``hand`` (pydantic, attrs,
dataclasses, SQLAlchemy, msgspec, enum, NamedTuple, TypedDict,
__init_subclass__, class and function decorators, closures, plain code,
refusals), ``stdlib`` (one constant changed in one function of a copied
pure-Python stdlib module, per edit), one per real project (flask, django,
fastapi, click+typer, sqlalchemy, pydantic, attrs, numpy, pandas),
``awkward objects`` (proxies and objects that raise when touched) and
``stdlib-derived`` (caches, registries and generated methods of the
standard library).  Per corpus the counts are printed, then every WRONG and
ERROR with its reason, then every REFUSED with the engine's reason (marked
when the edit is one the engine should apply, such as a method body, or
when the refusal should have offered the restart and did not); at the end,
the table of all corpora (tried / right / refused / wrong / error).
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

from differential.case import Case  # noqa: E402
from differential.checker import (  # noqa: E402
    ERROR,
    NO_RESTART,
    REFUSED,
    RIGHT,
    SHOULD_APPLY,
    VERDICTS,
    WRONG,
    Checker,
    Verdict,
)
from differential.corpora import Corpus, corpora  # noqa: E402


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
    for note in (SHOULD_APPLY, NO_RESTART):
        marked = sum(v.verdict == REFUSED and note in v.reason for v in verdicts)
        if marked:
            print(f"  refused {marked} marked {note}")
    for verdict in verdicts:
        if verdict.verdict in (WRONG, ERROR):
            print(f"  {verdict.line()}")
    for verdict in verdicts:  # what the engine refuses, and why (an honest outcome)
        if verdict.verdict == REFUSED:
            print(f"  {verdict.line()}")


def table(rows: list[tuple[str, list[Verdict]]]) -> str:
    """The Markdown table of the README: per corpus, tried / right / refused / wrong."""
    lines = ["| corpus | tried | right | refused | wrong | error |", "|---|---|---|---|---|---|"]
    for name, verdicts in rows:
        counts = Counter(v.verdict for v in verdicts)
        lines.append(f"| {name} | {len(verdicts)} | {counts[RIGHT]} | {counts[REFUSED]} "
                     f"| **{counts[WRONG]}** | {counts[ERROR]} |")
    return "\n".join(lines)


def runnable(corpus: Corpus, only: str | None) -> list[Case]:
    """The corpus's cases (matching ``only``), less those needing a missing library (said so)."""
    cases = [c for c in corpus.cases if not only or only in c.name]
    missing = sorted({m for c in cases if (m := c.missing_library())})
    if missing:
        print(f"{corpus.name}: skipping the cases that need {', '.join(missing)} "
              "(not installed)")
    return [c for c in cases if not c.missing_library()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every 8th stdlib edit only")
    parser.add_argument("--corpus", choices=[c.name for c in corpora()], action="append")
    parser.add_argument("--only", help="cases whose name contains this text")
    parser.add_argument("--verbose", action="store_true", help="one line per case as it runs")
    args = parser.parse_args()
    rows = []
    for corpus in corpora(stdlib_every=8 if args.quick else 1):
        if args.corpus and corpus.name not in args.corpus:
            continue
        cases = runnable(corpus, args.only)
        started = time.perf_counter()
        verdicts = run(corpus.name, cases, corpus.preload, args.verbose)
        report(corpus.name, verdicts, time.perf_counter() - started)
        rows.append((corpus.name, verdicts))
    print(f"\nPython {sys.version.split()[0]}:\n{table(rows)}")
    return 1 if any(v.verdict == WRONG for _, verdicts in rows for v in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
