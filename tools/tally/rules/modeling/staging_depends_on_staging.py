"""MD004: A staging model reads another staging model."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule, call_location, model_parents


class StagingDependsOnStaging(ManifestRule):
    """A staging model reads another staging model.

    What it does:
        Reports every `ref()` from a staging model to another staging model.

    Why it matters:
        A staging model is one source table, cleaned. Reading a second one means it joins,
        which belongs downstream; or it re-stages data already staged, so two models now own
        the same cleaning.

    Example:
        -- models/staging/shop/stg_shop__order_items.sql
        select * from {{ source('shop', 'order_items') }}
        join {{ ref('stg_shop__orders') }} using (order_id)

    Use instead:
        -- models/intermediate/int_order_items_joined_to_orders.sql
        select * from {{ ref('stg_shop__order_items') }}
        join {{ ref('stg_shop__orders') }} using (order_id)
    """

    code = "MD004"
    name = "staging-depends-on-staging"
    family = "modeling"
    summary = "A staging model reads another staging model."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            if ctx.project.layer_of(node) != "staging" or self.excepted(ctx, node):
                continue
            for parent in model_parents(ctx, node, "model"):
                if ctx.project.layer_of(parent) != "staging":
                    continue
                yield self.finding(
                    f"the staging model {node.name} reads the staging model {parent.name}; join them in "
                    f"an intermediate model instead (or make {parent.name} a base model both stage from)",
                    call_location(ctx, node, parent),
                    model=node.name,
                    parent=parent.name,
                )
