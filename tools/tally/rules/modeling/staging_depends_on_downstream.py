"""MD003: A staging model reads an intermediate model or a mart."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule, call_location, describe, model_parents

DOWNSTREAM = ("intermediate", "marts")


class StagingDependsOnDownstream(ManifestRule):
    """A staging model reads an intermediate model or a mart.

    What it does:
        Reports every `ref()` from a staging model to a model of the intermediate or marts
        layer (layers by name prefix or folder, see `[tool.tally.layers]`).

    Why it matters:
        Data flows one way: source, staging, intermediate, marts. A staging model that reads
        downstream makes a loop in the layers, so a change to a mart can change the staging
        data the mart itself is built from.

    Example:
        -- models/staging/shop/stg_shop__orders.sql
        select * from {{ source('shop', 'orders') }}
        join {{ ref('dim_customers') }} using (customer_id)

    Use instead:
        -- models/staging/shop/stg_shop__orders.sql
        select * from {{ source('shop', 'orders') }}
        -- and join dim_customers in an intermediate model or the mart
    """

    code = "MD003"
    name = "staging-depends-on-downstream"
    family = "modeling"
    summary = "A staging model reads an intermediate model or a mart."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            if ctx.project.layer_of(node) != "staging" or self.excepted(ctx, node):
                continue
            for parent in model_parents(ctx, node, "model"):
                if ctx.project.layer_of(parent) not in DOWNSTREAM:
                    continue
                yield self.finding(
                    f"the staging model {node.name} reads {describe(ctx, parent)}; staging reads only "
                    f"sources (and seeds): move this join into an intermediate model or the mart",
                    call_location(ctx, node, parent),
                    model=node.name,
                    parent=parent.name,
                )
