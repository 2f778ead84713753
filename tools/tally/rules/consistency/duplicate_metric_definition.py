"""CQ002: two metrics in the semantic manifest with the same definition under different names."""

from typing import Iterable

from tally.analysis.signatures import metric_signature
from tally.context import ProjectContext
from tally.findings import Finding, Location
from tally.rules.base import Rule, Scope


class DuplicateMetricDefinition(Rule):
    """Two metrics in the semantic layer compute the same thing under different names.

    What it does:
        Compares every metric's definition (type, measure, aggregation, filters, time
        dimension; ratio and derived metrics through their inputs), with columns compared by
        lineage, and reports each metric that duplicates an earlier one.

    Why it matters:
        Two names for one number invite them to drift apart: the next change lands in one and
        not the other, and the dashboards that picked different names disagree.

    Example:
        metrics:
          - {name: revenue, type: simple, type_params: {measure: gross_revenue_usd}, filter: ...}
          - {name: sales, type: simple, type_params: {measure: gross_revenue_usd}, filter: ...}

    Use instead:
        metrics:
          - {name: revenue, type: simple, type_params: {measure: gross_revenue_usd}, filter: ...}
        # and point every consumer of `sales` at `revenue`
    """

    code = "CQ002"
    name = "duplicate-metric-definition"
    family = "consistency"
    summary = "Two metrics in the semantic manifest have the same definition under different names."
    scope = Scope.PROJECT

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        first: dict[str, str] = {}
        for name in sorted(ctx.semantic.metrics):
            metric = ctx.semantic.metrics[name]
            signature = metric_signature(metric, ctx.semantic, ctx.lineage)
            if signature in first:
                other = ctx.semantic.metrics[first[signature]]
                yield self.finding(
                    f"metric {metric.name} has the same definition as {other.name} "
                    f"({other.path}:{other.line}): {metric.definition()}. Keep one and point "
                    f"consumers of the other at it.",
                    Location(metric.path or "semantic_manifest.json", metric.line),
                    metric=metric.name,
                    duplicate_of=other.name,
                )
            else:
                first[signature] = name
