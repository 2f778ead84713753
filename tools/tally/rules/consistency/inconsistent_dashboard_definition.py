"""CQ001: the same column name or chart label computed differently in different dashboards."""

from collections import defaultdict
from typing import Iterable

from tally.context import CollectionContext
from tally.findings import Finding
from tally.rules.base import Rule, Scope

# Names too generic to claim a shared meaning.
GENERIC = {"value", "total", "count", "n", "amount", "metric", "x", "y", "sum", "avg", "number"}


class InconsistentDashboardDefinition(Rule):
    """The same output name or chart label is computed with different definitions in different
    dashboards.

    What it does:
        Groups every aggregate column of every dashboard query, analysis and SQL file by its
        name and chart labels, and compares what each computes (expression and filters, by
        column lineage, so renamed columns still match). Where one name has several
        definitions, each one that differs from the reference is reported, with where the
        reference is: the definition that conforms to the metric of that name if there is one,
        else the most common.

    Why it matters:
        When "Active customers" means one thing on the executive board and another on the
        growth board, nobody can say which number is right, and both get quoted.

    Example:
        -- charts/exec.yml
        select count(distinct customer_id) as active_customers from marts.fct_orders
        -- charts/growth.yml
        select count(distinct customer_id) as active_customers from marts.fct_sessions

    Use instead:
        -- one definition, ideally a metric in the semantic layer, used by both boards
        select count(distinct customer_id) as active_customers from marts.fct_orders
    """

    code = "CQ001"
    name = "inconsistent-dashboard-definition"
    family = "consistency"
    summary = "The same column name or chart label is computed differently in different dashboards."
    scope = Scope.COLLECTION

    def check_collection(self, ctx: CollectionContext) -> Iterable[Finding]:
        groups: dict[str, list] = defaultdict(list)
        for definition in ctx.definitions:
            for key in definition.keys - GENERIC:
                groups[key].append(definition)
        reported = set()
        for key, uses in sorted(groups.items()):
            signatures = {d.signature for d in uses}
            if len(signatures) < 2 or len({d.query for d in uses}) < 2:
                continue
            counts = {s: sum(1 for d in uses if d.signature == s) for s in signatures}
            first_seen = {s: min(i for i, d in enumerate(uses) if d.signature == s) for s in signatures}
            # The reference is the definition that matches the metric of that name, if one does;
            # otherwise the most common one.
            canonical = {d.signature for d in uses if d.conforms}
            usual = max(signatures, key=lambda s: (s in canonical, counts[s], -first_seen[s]))
            reference = next(d for d in uses if d.signature == usual)
            for definition in uses:
                if definition.signature == usual or (definition.location, key) in reported:
                    continue
                reported.add((definition.location, key))
                yield self.finding(
                    f"`{key}` is computed here differently from {reference.location} ({counts[usual]} "
                    f"place(s)) and {len(signatures) - 1} other definition(s): one name should mean "
                    f"one number. Define it once (a metric) and use that everywhere.",
                    definition.location,
                    name=key,
                    other_location=str(reference.location),
                    signature=definition.signature,
                    usual_signature=usual,
                )
