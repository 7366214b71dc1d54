"""Project cases: numpy user code (functions returning arrays, module-level arrays, a class holding one).

Arrays are the standard case of objects whose ``==`` does not return a bool
and whose ``bool()`` raises: a module whose globals hold arrays must reload
as any other, and an array constant that changes must reach the functions
that read it.  Probes turn arrays into lists (``tolist``) so that both
processes print them the same way.
"""

from __future__ import annotations

from .case import Case, Group

STATS = """
import numpy as np

SCALE = 2.0
WEIGHTS = np.array([1.0, 2.0, 1.0])
LOOKUP = {"ones": np.ones(3), "range": np.arange(3.0)}


def normalize(values):
    values = np.asarray(values, dtype=float)
    return (values - values.mean()) / values.std()


def scaled(values):
    return np.asarray(values) * SCALE


def smooth(values):
    return np.convolve(values, WEIGHTS / WEIGHTS.sum(), mode="same")


def pick(name):
    return LOOKUP[name] + 1


def _bucket(x):
    return x // 2


bucket = np.vectorize(_bucket)


class Grid:
    def __init__(self, n):
        self.cells = np.arange(n * n, dtype=float).reshape(n, n)

    def total(self):
        return float(self.cells.sum())

    def diagonal(self):
        return np.diag(self.cells)
"""
SETUP = """
import numpy as np
import stats
from stats import normalize, scaled, smooth, pick, bucket, Grid
g = Grid(3)
bucket([1, 2, 3]).tolist()
"""
PROBES = ["normalize([1, 2, 3, 4]).round(6).tolist()", "scaled([1, 2]).tolist()",
          "smooth(np.arange(5.0)).round(6).tolist()", 'pick("range").tolist()', "g.total()",
          "g.diagonal().tolist()", "stats.WEIGHTS.tolist()", "bucket([1, 2, 3]).tolist()",
          "bucket([1, 2, 3]).dtype.kind"]

project = Group("numpy", {"stats.py": STATS}, SETUP, file="stats.py")

CASES: list[Case] = [
    project.edit("function_body", "/ values.std()", "/ values.std(ddof=1)", PROBES,
                 must_apply=True),
    project.edit("scalar_constant", "SCALE = 2.0", "SCALE = 3.0", PROBES),
    project.edit("array_constant", "WEIGHTS = np.array([1.0, 2.0, 1.0])",
                 "WEIGHTS = np.array([1.0, 4.0, 1.0])", PROBES),
    project.edit("dict_of_arrays", '"range": np.arange(3.0)', '"range": np.arange(1.0, 4.0)',
                 PROBES),
    project.edit("vectorized_body_result_type", "return x // 2", "return x / 2", PROBES,
                 must_apply=True),
    project.edit("method_body", "float(self.cells.sum())", "float(self.cells.max())", PROBES,
                 must_apply=True),
    project.edit("method_returning_array", "np.diag(self.cells)",
                 "np.diag(np.fliplr(self.cells))", PROBES, must_apply=True),
    project.edit("init_body", "n * n, dtype=float", "n * n, dtype=np.float32", [*PROBES, "Grid(2).total()"],
                 must_apply=True),
]

PRELOAD = ["numpy"]
