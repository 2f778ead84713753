"""DC003: A source table without a description."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule


class UndocumentedSource(ManifestRule):
    """A source table without a description.

    What it does:
        Reports every source table of the project with an empty description.

    Why it matters:
        A source is where the warehouse meets a system it does not own. Its description is the
        place to say what a row is and what is known to be wrong with it (re-deliveries, local
        time, minor currency units), so staging cleans the right things.

    Example:
        sources:
          - name: shop
            tables:
              - name: orders

    Use instead:
        sources:
          - name: shop
            tables:
              - name: orders
                description: Order headers, one row per CDC change.
    """

    code = "DC003"
    name = "undocumented-source"
    family = "documentation"
    summary = "A source table without a description."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for source in ctx.project.sources():
            if not source.is_root_project or source.description.strip() or self.excepted(ctx, source):
                continue
            yield self.finding(
                f"the source {source.label} has no description; say what one row is and what is known to be "
                f"wrong with the data",
                ctx.node_location(source.unique_id),
                source=source.label,
            )
