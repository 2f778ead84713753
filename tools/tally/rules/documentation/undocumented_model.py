"""DC002: A model without a description."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding, Severity
from tally.rules.modeling.base import ManifestRule


class UndocumentedModel(ManifestRule):
    """A model (other than a public one) without a description.

    What it does:
        Reports every model of the project that is not public and has no description.
        Public models are checked, more strictly, by DC001.

    Why it matters:
        The description is where a model says what one row is and why it exists. The next
        engineer reads it before changing the model; without it they read the SQL and guess.

    Example:
        models:
          - name: int_orders_converted_to_usd

    Use instead:
        models:
          - name: int_orders_converted_to_usd
            description: One row per order, with amounts converted to USD at the order date's rate.
    """

    code = "DC002"
    name = "undocumented-model"
    family = "documentation"
    summary = "A model without a description."
    default_severity = Severity.WARNING

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            if node.is_public or node.description.strip() or self.excepted(ctx, node):
                continue
            yield self.finding(
                f"{node.name} has no description; add one to its YAML saying what one row is",
                ctx.yaml_location(node.unique_id),
                model=node.name,
            )
