"""GV004: An exposure depends on a model that is not public."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding, Location
from tally.rules.modeling.base import ManifestRule, describe


class ExposureDependsOnPrivateModel(ManifestRule):
    """An exposure depends on a model that is not public.

    What it does:
        Reports every model an exposure (a dashboard, application or notebook declared in
        YAML) depends on whose access is not `public`. An exception may name the exposure or
        the model.

    Why it matters:
        An exposure is a reader outside dbt. Protected and private models may change shape at
        any time; only public models promise their columns (with a contract) and their grain.

    Example:
        exposures:
          - name: weekly_revenue
            depends_on: [ref('int_orders_converted_to_usd')]

    Use instead:
        exposures:
          - name: weekly_revenue
            depends_on: [ref('fct_orders')]
    """

    code = "GV004"
    name = "exposure-depends-on-private-model"
    family = "governance"
    summary = "An exposure depends on a model that is not public."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for exposure in ctx.project.nodes.values():
            if exposure.resource_type != "exposure" or not exposure.is_root_project or self.excepted(ctx, exposure):
                continue
            location = Location(exposure.path, ctx.project.yaml_line(exposure.path, exposure.name))
            for parent in ctx.project.parents(exposure.unique_id):
                if parent.resource_type != "model" or parent.is_public or self.excepted(ctx, parent):
                    continue
                yield self.finding(
                    f"the exposure {exposure.name} depends on {describe(ctx, parent)}, which is "
                    f"{parent.access or 'not public'}; point it at a public mart instead (or make "
                    f"{parent.name} public, with a contract)",
                    location,
                    exposure=exposure.name,
                    model=parent.name,
                )
