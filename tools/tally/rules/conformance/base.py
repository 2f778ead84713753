"""What every metric-conformance rule shares: read the comparisons, report one kind of difference."""

from __future__ import annotations

from typing import ClassVar, Iterable

from tally.context import QueryContext
from tally.findings import Finding
from tally.rules.base import Rule


class ConformanceRule(Rule):
    family = "metric conformance"
    kind: ClassVar[str]  # the Difference.kind this rule reports (see tally.analysis.conformance)

    def check_query(self, ctx: QueryContext) -> Iterable[Finding]:
        for comparison in ctx.comparisons:
            metric = comparison.metric
            for difference in comparison.differences:
                if difference.kind != self.kind:
                    continue
                command = ctx.semantic.mf_command(metric, comparison.grain)
                column = comparison.projection.alias
                claimed = {
                    "alias": f"`{column}`",
                    "label": f"`{column}` (labelled {comparison.projection.labels[0]!r})" if comparison.projection.labels else f"`{column}`",
                }.get(comparison.claimed_by or "", f"`{column}` (computed from the measure {metric.measure.name if metric.measure else metric.name})")
                message = (
                    f"{claimed} is {metric.name} but {difference.detail}. "
                    f"Canonical: {metric.definition()}. Use `{command}`."
                )
                yield self.finding(
                    message,
                    ctx.location(difference.position),
                    metric=metric.name,
                    metric_label=metric.label,
                    canonical_definition=metric.definition(),
                    metric_description=metric.description,
                    mf_command=command,
                    grain=comparison.grain,
                    column=column,
                    difference=difference.detail,
                )
