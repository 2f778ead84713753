"""MD012: A source table no model, snapshot or exposure reads."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule


class UnusedSource(ManifestRule):
    """A source table that nothing reads.

    What it does:
        Reports every source table of the project that no model, snapshot, analysis or
        exposure depends on.

    Why it matters:
        A declared source promises data someone uses: its freshness is checked, its tests run
        and it shows in the docs. An unused one is either dead configuration or a table that
        is read by name somewhere dbt cannot see.

    Example:
        sources:
          - name: shop
            tables:
              - name: orders
              - name: legacy_orders   # read by no model

    Use instead:
        sources:
          - name: shop
            tables:
              - name: orders
    """

    code = "MD012"
    name = "unused-source"
    family = "modeling"
    summary = "A source table no model, snapshot or exposure reads."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for source in ctx.project.sources():
            if not source.is_root_project or ctx.project.children.get(source.unique_id):
                continue
            if self.excepted(ctx, source):
                continue
            yield self.finding(
                f"the source {source.label} is read by no model; remove it from the YAML, or stage it "
                f"if it is meant to be used",
                ctx.node_location(source.unique_id),
                source=source.label,
            )
