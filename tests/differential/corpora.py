"""The corpora of the differential checker by name: their cases, what to preload, the CI sample.

The bench runs every case of every corpus; the test suite runs ``sample()``
of each, which keeps it within a small time budget while every corpus is
exercised.  A corpus's ``preload`` lists the modules the fresh interpreters
import once, before they fork (a fresh child still imports the case's own
modules afresh).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import (
    corpus_attrs,
    corpus_classes,
    corpus_cli,
    corpus_django,
    corpus_fastapi,
    corpus_flask,
    corpus_functions,
    corpus_indirect,
    corpus_numpy,
    corpus_objects,
    corpus_pandas,
    corpus_pydantic,
    corpus_sqlalchemy,
    corpus_stdlib,
    corpus_stdlib_derived,
)
from .case import Case


@dataclass(frozen=True)
class Corpus:
    name: str
    cases: list[Case]
    preload: list[str]
    every: int = 1  # the CI sample: every ``every``-th case

    def sample(self) -> list[Case]:
        return self.cases[:: self.every]


def corpora(stdlib_every: int = 1) -> list[Corpus]:
    """Every corpus; ``stdlib_every`` thins the generated stdlib edits (the bench's --quick)."""
    return [
        Corpus("hand", corpus_classes.CASES + corpus_functions.CASES + corpus_indirect.CASES,
               corpus_classes.PRELOAD + corpus_functions.PRELOAD + corpus_indirect.PRELOAD),
        Corpus("stdlib", corpus_stdlib.cases(every=stdlib_every), corpus_stdlib.PRELOAD, every=12),
        Corpus("flask", corpus_flask.CASES, corpus_flask.PRELOAD),
        Corpus("django", corpus_django.CASES, corpus_django.PRELOAD, every=2),
        Corpus("fastapi", corpus_fastapi.CASES, corpus_fastapi.PRELOAD, every=2),
        Corpus("click+typer", corpus_cli.CASES, corpus_cli.PRELOAD, every=2),
        Corpus("sqlalchemy", corpus_sqlalchemy.CASES, corpus_sqlalchemy.PRELOAD, every=2),
        Corpus("pydantic", corpus_pydantic.CASES, corpus_pydantic.PRELOAD, every=2),
        Corpus("attrs", corpus_attrs.CASES, corpus_attrs.PRELOAD, every=2),
        Corpus("numpy", corpus_numpy.CASES, corpus_numpy.PRELOAD, every=2),
        Corpus("pandas", corpus_pandas.CASES, corpus_pandas.PRELOAD, every=2),
        Corpus("awkward objects", corpus_objects.CASES, corpus_objects.PRELOAD),
        Corpus("stdlib-derived", corpus_stdlib_derived.CASES, corpus_stdlib_derived.PRELOAD),
    ]
