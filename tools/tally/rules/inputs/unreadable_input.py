"""PE002: a file that is not readable text or not a valid board."""

from typing import Iterable

from tally.context import QueryContext
from tally.findings import Finding
from tally.rules.base import Rule


class UnreadableInput(Rule):
    """A file tally was asked to check that is not readable: binary content, not UTF-8, or a
    board whose YAML does not parse.

    What it does:
        Reports the file and the reason, at the line where the YAML parser stopped when there
        is one, instead of skipping it.

    Why it matters:
        A board file that does not load is a dashboard nobody sees; a silently skipped file is
        a check that did not happen.

    Example:
        queries:
          revenue: select 1
            oops: [unclosed

    Use instead:
        queries:
          revenue: select 1
    """

    code = "PE002"
    name = "unreadable-input"
    family = "inputs"
    summary = "A file that is not readable text or a board whose YAML does not parse."

    def check_query(self, ctx: QueryContext) -> Iterable[Finding]:
        if ctx.unit.input_error:
            location = ctx.unit.location(1, 1) if ctx.unit.line_offset == 0 else ctx.unit.location(1, 1)
            yield self.finding(f"cannot check {ctx.unit.path}: {ctx.unit.input_error}", location)
