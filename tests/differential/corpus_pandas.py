"""Project cases: pandas user code (functions returning frames, a frame at module level, a
DataFrame accessor registered with ``pandas.api.extensions``).

A frame's ``==`` returns a frame and its ``bool()`` raises, so a module that
holds one must reload as any other.  The accessor is registered on
``pandas.DataFrame`` by a decorator, and pandas caches the accessor object
on each frame that used it: an edit of its methods must reach frames made
before the edit.  Probes print frames with ``to_dict``.
"""

from __future__ import annotations

from .case import Case, Group

REPORT = """
import pandas as pd

THRESHOLD = 10
PRICES = pd.DataFrame({"item": ["apple", "pear", "fig"], "price": [3, 5, 9]})


def sales(n):
    return pd.DataFrame({"item": ["apple", "pear", "fig", "apple"] * n, "qty": range(4 * n)})


def revenue(frame):
    merged = frame.merge(PRICES, on="item")
    merged["revenue"] = merged["qty"] * merged["price"]
    return merged.groupby("item")["revenue"].sum().sort_index()


def big(frame):
    return frame[frame["qty"] >= THRESHOLD]


@pd.api.extensions.register_dataframe_accessor("shop")
class ShopAccessor:
    def __init__(self, frame):
        self._frame = frame

    def total_qty(self):
        return int(self._frame["qty"].sum())

    def top(self, n=1):
        return self._frame.nlargest(n, "qty")["item"].tolist()
"""
SETUP = """
import pandas as pd
import report
from report import sales, revenue, big
df = sales(3)
df.shop.total_qty()
"""
# Frames made after the edit (``sales`` may be what changed), then the frame kept from before
# it: its accessor object, cached by pandas, must run the edited methods.
NEW_FRAMES = ["revenue(sales(2)).to_dict()", "big(sales(3)).to_dict('list')",
              "sales(1).shop.top()", "sales(2).shop.total_qty()", "report.PRICES.to_dict('list')"]
PROBES = [*NEW_FRAMES, "df.shop.total_qty()", "df.shop.top(2)"]

project = Group("pandas", {"report.py": REPORT}, SETUP, file="report.py")

CASES: list[Case] = [
    project.edit("function_body", 'merged["qty"] * merged["price"]',
                 'merged["qty"] * merged["price"] * 2', PROBES, must_apply=True),
    project.edit("frame_builder_body", '"qty": range(4 * n)', '"qty": range(1, 4 * n + 1)',
                 NEW_FRAMES, must_apply=True),
    project.edit("threshold_constant", "THRESHOLD = 10", "THRESHOLD = 5", PROBES),
    project.edit("frame_constant", '"price": [3, 5, 9]', '"price": [3, 6, 9]', PROBES),
    project.edit("accessor_method_body", 'int(self._frame["qty"].sum())',
                 'int(self._frame["qty"].sum()) * 10', PROBES, must_apply=True),
    project.edit("accessor_default", "def top(self, n=1):", "def top(self, n=2):", PROBES),
    project.edit("accessor_method_added", "    def top(self, n=1):",
                 "    def mean_qty(self):\n        return float(self._frame[\"qty\"].mean())\n\n"
                 "    def top(self, n=1):", [*PROBES, "df.shop.mean_qty()"]),
    project.edit("accessor_renamed", 'register_dataframe_accessor("shop")',
                 'register_dataframe_accessor("store")',
                 ["df.store.total_qty()", "sales(1).store.top()",
                  'hasattr(pd.DataFrame, "shop")']),
]

PRELOAD = ["numpy", "pandas", "pandas.api.extensions"]
