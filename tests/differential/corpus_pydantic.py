"""Project cases: pydantic v2 schemas used by another module (parsing, validation, settings-like defaults).

``corpus_classes`` edits one model alone; here the models are a project's
schemas: another module parses payloads with them and the user keeps parsed
objects, so an edit must reach validation and serialization done through
references made before it, or be refused.
"""

from __future__ import annotations

from .case import Case, Group

SCHEMAS = """
from pydantic import BaseModel, Field, field_validator

CURRENCY = "EUR"


class Line(BaseModel):
    sku: str
    quantity: int = Field(default=1, ge=1)
    unit_price: float

    @field_validator("sku")
    @classmethod
    def upper_sku(cls, value):
        return value.strip().upper()

    def total(self):
        return round(self.quantity * self.unit_price, 2)


class Invoice(BaseModel):
    number: int
    lines: list[Line] = []
    currency: str = CURRENCY

    def total(self):
        return round(sum(line.total() for line in self.lines), 2)
"""
BILLING = """
from pydantic import ValidationError

from schemas import Invoice


def parse(payload):
    try:
        return Invoice.model_validate(payload)
    except ValidationError as exc:
        return [error["type"] for error in exc.errors()]


def summary(payload):
    invoice = parse(payload)
    if isinstance(invoice, list):
        return invoice
    return f"#{invoice.number}: {invoice.total()} {invoice.currency}"
"""
SETUP = """
import schemas
from schemas import Invoice, Line
from billing import parse, summary
PAYLOAD = {"number": 7, "lines": [{"sku": " ab ", "quantity": 2, "unit_price": 1.25}, {"sku": "cd", "unit_price": 4}]}
kept = parse(PAYLOAD)
"""
PROBES = ["summary(PAYLOAD)", "parse(PAYLOAD).model_dump()", 'summary({"number": "x"})',
          'summary({"number": 1, "lines": [{"sku": "a", "quantity": 0, "unit_price": 1}]})',
          "kept.total()", "kept.lines[0].total()"]

project = Group("pydantic.project", {"schemas.py": SCHEMAS, "billing.py": BILLING}, SETUP,
                file="schemas.py")

CASES: list[Case] = [
    project.edit("method_body", "round(self.quantity * self.unit_price, 2)",
                 "round(self.quantity * self.unit_price * 1.2, 2)", PROBES, must_apply=True),
    project.edit("validator_body", "value.strip().upper()", "value.strip().lower()", PROBES,
                 must_apply=True),
    project.edit("constraint", "ge=1)", "ge=0)", PROBES),
    project.edit("default_from_constant", 'CURRENCY = "EUR"', 'CURRENCY = "USD"', PROBES),
    project.edit("field_added", "    currency: str = CURRENCY\n",
                 '    currency: str = CURRENCY\n    note: str = ""\n', PROBES),
    project.edit("field_type", "    number: int\n", "    number: str\n", PROBES),
    project.edit("caller_body", 'f"#{invoice.number}: {invoice.total()} {invoice.currency}"',
                 'f"{invoice.currency} {invoice.total()} (#{invoice.number})"', PROBES,
                 file="billing.py", must_apply=True),
    project.edit("caller_error_format", 'error["type"]', 'error["loc"]', PROBES,
                 file="billing.py", must_apply=True),
]

PRELOAD = ["pydantic", "pydantic_core"]
