"""Project cases: attrs classes (``@define``, validators, converters, factories) and code using them.

``corpus_classes`` edits one attrs class alone; here a second module builds
and compares the classes, and the user keeps instances, so an edit must
reach what attrs generated from the class (``__init__``, ``__eq__``,
validators, converters) through references made before it, or be refused.
"""

from __future__ import annotations

from .case import Case, Group

SHAPES = """
import attrs
from attrs import define, field, frozen


def positive(instance, attribute, value):
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive")


@frozen
class Point:
    x: float = field(converter=float)
    y: float = field(converter=float, default=0)

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5


@define(order=True)
class Box:
    width: float = field(validator=positive)
    height: float = field(validator=positive, default=1)
    tags: list = field(factory=list)

    def area(self):
        return self.width * self.height

    def scaled(self, k):
        return attrs.evolve(self, width=self.width * k)
"""
LAYOUT = """
from shapes import Box, Point


def biggest(boxes):
    return max(boxes).area()


def describe(box):
    return f"{box.width}x{box.height}"
"""
SETUP = """
import shapes
from shapes import Box, Point
from layout import biggest, describe
b = Box(2, 3)
p = Point(3, 4)
"""
PROBES = ["b.area()", "p.norm()", "Point(1)", "Box(4)", "biggest([Box(1, 9), Box(2, 1)])",
          "describe(b.scaled(2))", "Box(0)", "Box(1) == Box(1)", "sorted([Box(3), Box(1, 5)])"]

project = Group("attrs.project", {"shapes.py": SHAPES, "layout.py": LAYOUT}, SETUP,
                file="shapes.py")

CASES: list[Case] = [
    project.edit("method_body", "self.width * self.height", "self.width * self.height / 2",
                 PROBES, must_apply=True),
    project.edit("frozen_method_body", "** 0.5", "** 0.5 * 2", PROBES, must_apply=True),
    project.edit("validator_function_body", 'f"{attribute.name} must be positive"',
                 'f"{attribute.name} must be > 0"', PROBES, must_apply=True),
    project.edit("converter_changed", "y: float = field(converter=float, default=0)",
                 "y: float = field(converter=abs, default=0)", [*PROBES, "Point(1, -2)"]),
    project.edit("default_changed", "validator=positive, default=1)",
                 "validator=positive, default=2)", PROBES),
    project.edit("field_added", "    tags: list = field(factory=list)\n",
                 "    tags: list = field(factory=list)\n    depth: float = 1\n", PROBES),
    project.edit("order_flag", "@define(order=True)", "@define(order=False)", PROBES),
    project.edit("evolve_body", "width=self.width * k", "height=self.height * k", PROBES,
                 must_apply=True),
    project.edit("caller_body", 'f"{box.width}x{box.height}"', 'f"{box.width} by {box.height}"',
                 PROBES, file="layout.py", must_apply=True),
]

PRELOAD = ["attrs", "attr"]
