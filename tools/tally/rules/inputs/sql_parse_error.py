"""PE001: SQL that does not parse."""

from typing import Iterable

from tally.context import QueryContext
from tally.findings import Finding
from tally.rules.base import Rule


class SqlParseError(Rule):
    """SQL that does not parse in the project's dialect.

    What it does:
        Reports the parser's error, at the place it stopped, for every query, analysis, model
        or file that is not valid SQL. Nothing else can be checked in it.

    Why it matters:
        A dashboard query that does not parse is a broken tile, and one tally cannot check
        against the metric definitions.

    Example:
        select sum(gross_revenue_usd as gross_revenue from marts.fct_orders

    Use instead:
        select sum(gross_revenue_usd) as gross_revenue from marts.fct_orders
    """

    code = "PE001"
    name = "sql-parse-error"
    family = "inputs"
    summary = "SQL that does not parse in the project's dialect."

    def check_query(self, ctx: QueryContext) -> Iterable[Finding]:
        if ctx.analysis.parse_error:
            yield self.finding(
                f"cannot parse {ctx.unit.subject} as {ctx.analysis.dialect} SQL: {ctx.analysis.parse_error}",
                ctx.location(ctx.analysis.parse_error_position),
            )
