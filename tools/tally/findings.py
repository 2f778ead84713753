"""What a rule returns: a finding at a place in a file, with a severity."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @classmethod
    def parse(cls, value: str) -> "Severity":
        try:
            return cls(value.lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r}: use error, warning or info") from None


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file. Lines and columns are 1-based, as editors show them."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass
class Finding:
    """One problem found by one rule.

    `message` is one line a reviewer can act on. `details` holds longer material for reports
    that have room for it: the canonical definition, the SQL to use instead.
    """

    code: str
    message: str
    location: Location
    severity: Severity = Severity.ERROR
    rule_name: str = ""
    details: dict = field(default_factory=dict)
    # Set by the engine, not by rules: what was checked (board query, model, ...).
    subject: str = ""

    def sort_key(self) -> tuple:
        return (self.location.path, self.location.line, self.location.col, self.code)
