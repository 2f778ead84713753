"""MD002: A model outside the staging layer reads a source."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule, call_location, model_parents, the_sources

STAGING = "staging"


class SourceReadOutsideStaging(ManifestRule):
    """A model outside the staging layer reads a source.

    What it does:
        Reports every model that is not a staging model (by its name prefix or folder, see
        `[tool.tally.layers]`) and calls `source()`. The finding points at the call.

    Why it matters:
        Staging is the one place raw data is renamed, typed and de-duplicated. An intermediate
        model or mart that reads the raw table repeats or, worse, skips that cleaning.

    Example:
        -- models/intermediate/int_orders_joined.sql
        select * from {{ source('shop', 'orders') }}

    Use instead:
        -- models/intermediate/int_orders_joined.sql
        select * from {{ ref('stg_shop__orders') }}
    """

    code = "MD002"
    name = "source-read-outside-staging"
    family = "modeling"
    summary = "A model outside the staging layer reads a source."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            layer = ctx.project.layer_of(node)
            sources = model_parents(ctx, node, "source")
            if layer == STAGING or not sources or self.excepted(ctx, node):
                continue
            what = f"the {layer} model" if layer else "the model"
            yield self.finding(
                f"{what} {node.name} reads {the_sources(sources)}; only staging "
                f"models may call source(): ref() the staging model of {sources[0].label} instead",
                call_location(ctx, node, sources[0]),
                model=node.name,
                layer=layer,
                sources=[s.label for s in sources],
            )
