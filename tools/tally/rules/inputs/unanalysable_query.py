"""PE003: SQL that parses but that tally cannot analyse, so nothing in it was checked."""

from typing import Iterable

from tally.context import QueryContext
from tally.findings import Finding, Severity
from tally.rules.base import Rule


class UnanalysableQuery(Rule):
    """SQL that parses but whose scopes tally cannot work out (an alias used twice, say), so no
    rule could check it.

    What it does:
        Reports the query and the reason, instead of passing it as clean.

    Why it matters:
        A query that silently escapes every check looks exactly like a query that passed them.

    Example:
        select sum(o.gross_revenue_usd) as revenue
        from marts.fct_orders as o
        join marts.dim_customers as o on o.customer_id = o.customer_id

    Use instead:
        select sum(o.gross_revenue_usd) as revenue
        from marts.fct_orders as o
        join marts.dim_customers as c on c.customer_id = o.customer_id
    """

    code = "PE003"
    name = "unanalysable-query"
    family = "inputs"
    summary = "SQL that parses but that tally cannot analyse, so nothing in it was checked."
    default_severity = Severity.WARNING

    def check_query(self, ctx: QueryContext) -> Iterable[Finding]:
        analysis = ctx.analysis
        if analysis.tree is not None and analysis.root_scope is None:
            reason = analysis.qualify_error or "its scopes could not be built"
            yield self.finding(
                f"{ctx.unit.subject} parses but cannot be analysed ({reason}); no rule checked it",
                ctx.location((1, 1)),  # the query as a whole
            )
