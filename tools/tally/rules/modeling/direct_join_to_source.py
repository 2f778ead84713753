"""MD001: A model reads a source and another model: the source was not staged first."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule, call_location, listed, model_parents, the_sources


class DirectJoinToSource(ManifestRule):
    """A model reads a source directly and also another model.

    What it does:
        Reports every model whose parents include both a source table and a model. The
        finding points at the `source()` call.

    Why it matters:
        A source read next to modelled data skips the staging layer's renaming, casting and
        de-duplication, so the same raw table ends up cleaned differently in different places.

    Example:
        -- models/marts/fct_orders.sql
        select * from {{ source('shop', 'orders') }}
        join {{ ref('dim_customers') }} using (customer_id)

    Use instead:
        -- models/marts/fct_orders.sql
        select * from {{ ref('stg_shop__orders') }}
        join {{ ref('dim_customers') }} using (customer_id)
    """

    code = "MD001"
    name = "direct-join-to-source"
    family = "modeling"
    summary = "A model reads a source directly and also another model."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            sources = model_parents(ctx, node, "source")
            models = model_parents(ctx, node, "model")
            if not sources or not models or self.excepted(ctx, node):
                continue
            source = sources[0]
            noun = "the model" if len(models) == 1 else "the models"
            yield self.finding(
                f"{node.name} reads {the_sources(sources)} directly and also {noun} "
                f"{listed(m.name for m in models)}; stage {source.label} in its own staging model and "
                f"ref() that instead",
                call_location(ctx, node, source),
                model=node.name,
                sources=[s.label for s in sources],
            )
