"""TS002: A source table without a freshness check."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule


class SourceWithoutFreshness(ManifestRule):
    """A source table without a freshness check.

    What it does:
        Reports every source table of the project with no `freshness` (`warn_after` or
        `error_after`), on the table or inherited from its source.

    Why it matters:
        When the loader stops, the warehouse keeps serving yesterday's numbers and nobody is
        told. `dbt source freshness` catches it only for tables that declare how fresh they
        should be.

    Example:
        sources:
          - name: shop
            tables:
              - name: orders

    Use instead:
        sources:
          - name: shop
            config:
              loaded_at_field: _loaded_at
              freshness:
                warn_after: {count: 24, period: hour}
            tables:
              - name: orders
    """

    code = "TS002"
    name = "source-without-freshness"
    family = "testing"
    summary = "A source table without a freshness check."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for source in ctx.project.sources():
            if not source.is_root_project or source.has_freshness or self.excepted(ctx, source):
                continue
            yield self.finding(
                f"the source {source.label} has no freshness check; give it (or its source) a loaded_at_field "
                f"and `freshness: {{warn_after: {{count: ..., period: hour}}}}`",
                ctx.node_location(source.unique_id),
                source=source.label,
            )
