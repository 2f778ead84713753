"""MD007: A model reads more than one source."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule, call_location, listed, model_parents


class MultipleSourcesJoined(ManifestRule):
    """A model reads more than one source table.

    What it does:
        Reports every model that calls `source()` for two or more source tables. The finding
        points at the second `source()` call.

    Why it matters:
        Joining raw tables mixes cleaning with business logic: each source should be staged on
        its own (renamed, typed, de-duplicated) and the staged models joined downstream.

    Example:
        -- models/staging/shop/stg_shop__orders.sql
        select * from {{ source('shop', 'orders') }}
        join {{ source('shop', 'customers') }} using (customer_id)

    Use instead:
        -- models/intermediate/int_orders_joined_to_customers.sql
        select * from {{ ref('stg_shop__orders') }}
        join {{ ref('stg_shop__customers') }} using (customer_id)
    """

    code = "MD007"
    name = "multiple-sources-joined"
    family = "modeling"
    summary = "A model reads more than one source table."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            sources = model_parents(ctx, node, "source")
            if len(sources) < 2 or self.excepted(ctx, node):
                continue
            second = sorted(call_location(ctx, node, s) for s in sources)[1]
            yield self.finding(
                f"{node.name} reads {len(sources)} sources ({listed(s.label for s in sources)}); stage each "
                f"source in its own model and join the staging models downstream",
                second,
                model=node.name,
                sources=[s.label for s in sources],
            )
