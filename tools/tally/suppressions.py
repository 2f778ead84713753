"""Inline suppressions: `-- tally: ignore[CODE] because <reason>`.

A suppression on the line of a finding, or alone on the line above it, silences the listed
codes (or families) there. A suppression must give its reason; one without a reason, or naming
an unknown code, suppresses nothing and is itself reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tally.inputs.units import SqlUnit

PATTERN = re.compile(
    r"--\s*tally:\s*ignore\[(?P<codes>[^\]]*)\](?:\s*(?:because|:)\s*(?P<reason>.*?))?\s*(?:\*/)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Suppression:
    path: str
    line: int  # file line of the comment
    col: int
    codes: tuple[str, ...]
    reason: str
    comment_only_line: bool

    def covers_line(self, line: int) -> bool:
        return line == self.line or (self.comment_only_line and line == self.line + 1)


def find(unit: SqlUnit) -> list[Suppression]:
    found = []
    for number, text in enumerate(unit.sql.splitlines(), start=1):
        if "tally" not in text:
            continue
        match = PATTERN.search(text)
        if not match:
            continue
        codes = tuple(c.strip().upper() for c in match.group("codes").split(",") if c.strip())
        location = unit.location(number, match.start() + 1)
        found.append(Suppression(
            path=location.path,
            line=location.line,
            col=location.col,
            codes=codes,
            reason=(match.group("reason") or "").strip(),
            comment_only_line=text[: match.start()].strip() == "",
        ))
    return found
