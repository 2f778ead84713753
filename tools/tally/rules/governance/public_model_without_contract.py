"""GV001: A public model without an enforced contract."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule


class PublicModelWithoutContract(ManifestRule):
    """A public model without an enforced contract.

    What it does:
        Reports every model with `access: public` whose `contract.enforced` is not true.

    Why it matters:
        Public means other teams, dashboards and projects read the model. An enforced contract
        makes dbt refuse to build it when a column is renamed, dropped or changes type, instead
        of breaking every reader the morning after.

    Example:
        models:
          marts:
            +access: public

    Use instead:
        models:
          marts:
            +access: public
            +contract:
              enforced: true
    """

    code = "GV001"
    name = "public-model-without-contract"
    family = "governance"
    summary = "A public model without an enforced contract."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            if not node.is_public or node.contract_enforced or self.excepted(ctx, node):
                continue
            yield self.finding(
                f"the public model {node.name} has no enforced contract; set `contract: {{enforced: true}}` "
                f"(on its folder in dbt_project.yml) and declare its columns' data types",
                ctx.yaml_location(node.unique_id),
                model=node.name,
            )
