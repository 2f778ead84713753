"""FO001: summing or counting the one side of a join after joining the many side."""

from typing import Iterable

from tally.analysis.aggregates import AVG, COUNT, SUM
from tally.context import QueryContext
from tally.findings import Finding
from tally.rules.base import Rule

MULTIPLIED_BY_DUPLICATES = (SUM, COUNT, AVG)


class AggregateAfterFanout(Rule):
    """Sums or counts a column of the one side of a join after joining to the many side.

    What it does:
        Works out the grain of every joined relation (from unique and primary-key tests,
        constraints, semantic primary entities, and the GROUP BY of derived tables). When a
        join key on one side is not unique, every row on the other side is repeated once per
        match; a sum, count or average of that other side's columns then double counts.

    Why it matters:
        Joining orders to their items and summing the order's revenue counts an order once per
        item: revenue comes out 2.5 times too high, and nothing errors.

    Example:
        select sum(o.gross_revenue_usd) as revenue
        from marts.fct_orders as o
        join marts.fct_order_items as i on i.order_id = o.order_id
        where i.product_id = 7

    Use instead:
        select sum(o.gross_revenue_usd) as revenue
        from marts.fct_orders as o
        where o.order_id in (select order_id from marts.fct_order_items where product_id = 7)
    """

    code = "FO001"
    name = "aggregate-after-fanout"
    family = "fan-out"
    summary = "Sums or counts the one side of a join after joining to the many side, double counting."

    def check_query(self, ctx: QueryContext) -> Iterable[Finding]:
        by_scope = {id(j.scope): j for j in ctx.analysis.joins}
        for use in ctx.analysis.aggregates:
            joined = by_scope.get(id(use.scope))
            if joined is None or use.func not in MULTIPLIED_BY_DUPLICATES:
                continue
            alias = use.source_alias
            if alias is None and use.argument is None:  # count(*): the rows of the FROM relation
                from_ = use.scope.expression.args.get("from_") or use.scope.expression.args.get("from")
                alias = from_.this.alias_or_name if from_ is not None else None
            multipliers = joined.multiplied_by.get(alias or "")
            if not multipliers:
                continue
            many = multipliers[0]
            keys = ", ".join(joined.keys.get((alias, many), []))
            what = f"{use.func}({alias}.*)" if use.argument is None else f"{use.func}() of {alias}"
            yield self.finding(
                f"{what} double counts: the join to {many} repeats each {alias} row once per match "
                f"({many}.{keys} is not unique in {many}). Aggregate {alias} before joining, or filter "
                f"with EXISTS / IN instead of a join.",
                ctx.location(use.position),
                alias=alias,
                many_side=many,
            )
