"""GV005: a dashboard query showing personal data unmasked."""

from typing import Iterable

from tally.analysis.lineage import VALUE
from tally.context import QueryContext
from tally.findings import Finding
from tally.rules.base import DASHBOARD_KINDS, Rule


class PersonalDataOnDashboard(Rule):
    """A dashboard query outputs a column that carries personal data, traced by lineage.

    What it does:
        For every output column of a dashboard query, analysis or SQL file, follows its
        columns back through the models to the columns whose `meta` marks personal data. An
        output that carries such a value unmasked is reported with the path.

    Why it matters:
        Dashboards are shared, exported and screenshotted. Personal data on a tile is personal
        data in every inbox the tile reaches.

    Example:
        select email, sum(gross_revenue_usd) as revenue
        from staging.stg_shop__customers as c join marts.fct_orders as o using (customer_id)
        group by 1

    Use instead:
        select c.customer_id, sum(o.gross_revenue_usd) as revenue
        from marts.dim_customers as c join marts.fct_orders as o using (customer_id)
        group by 1
    """

    code = "GV005"
    name = "personal-data-on-dashboard"
    family = "governance"
    summary = "A dashboard query outputs personal data unmasked."
    applies_to = DASHBOARD_KINDS

    def check_query(self, ctx: QueryContext) -> Iterable[Finding]:
        personal = ctx.shared.personal_data
        if not personal.marked:
            return
        for projection in ctx.analysis.projections:
            carried = set()
            for column, usage in ctx.lineage.column_usages(projection.expanded):
                if usage == VALUE:
                    carried |= personal.origins((column.table.lower(), column.name.lower()))
            if not carried:
                continue
            origin = sorted(carried)[0]
            yield self.finding(
                f"`{projection.alias}` shows personal data ({ctx.shared.column_label(origin)}) unmasked. "
                f"Show a key or a hash instead, or aggregate it away.",
                ctx.location(projection.position),
                column=projection.alias,
                origin=ctx.shared.column_label(origin),
            )
