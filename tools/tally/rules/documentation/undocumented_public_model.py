"""DC001: A public model without a description, or with undocumented columns."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule, listed


class UndocumentedPublicModel(ManifestRule):
    """A public model without a description, or with columns that have none.

    What it does:
        Reports every model with `access: public` whose description is empty, or whose
        columns (declared in YAML or found in the catalog) lack descriptions. The message
        names up to five of the undocumented columns.

    Why it matters:
        A public model is read by people and tools outside the team that built it. Its
        description states the grain; its column descriptions say what each number means.
        Without them every reader guesses, and guesses differently.

    Example:
        models:
          - name: fct_orders
            config: {access: public}
            columns:
              - name: gross_revenue_usd

    Use instead:
        models:
          - name: fct_orders
            description: One row per order, including cancelled and test orders.
            config: {access: public}
            columns:
              - name: gross_revenue_usd
                description: Order total in USD before refunds, converted at the order date's rate.
    """

    code = "DC001"
    name = "undocumented-public-model"
    family = "documentation"
    summary = "A public model without a description, or with undocumented columns."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            if not node.is_public:
                continue
            undocumented = [c.name for c in node.columns.values() if not c.description.strip()]
            missing = []
            if not node.description.strip():
                missing.append("a description")
            if undocumented:
                missing.append(f"descriptions for {len(undocumented)} column(s) ({listed(undocumented)})")
            if not missing or self.excepted(ctx, node):
                continue
            yield self.finding(
                f"the public model {node.name} lacks {' and '.join(missing)}; describe the model and every "
                f"column in its YAML, since readers outside the team rely on them",
                ctx.yaml_location(node.unique_id),
                model=node.name,
                undocumented_columns=undocumented,
            )
