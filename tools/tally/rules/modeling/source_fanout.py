"""MD006: A source table is read by more models than `max_source_fanout` (default 1)."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule, listed


class SourceFanout(ManifestRule):
    """A source table is read by more than one model.

    What it does:
        Counts the models that call `source()` for each source table and reports the tables
        read by more than `max_source_fanout` models (`[tool.tally.thresholds]`, default 1).

    Why it matters:
        Each reader cleans the raw table its own way: two staging models of one table, or a
        mart that reads it beside its staging model, soon disagree on what a row means.

    Example:
        stg_shop__orders and int_orders_enriched both call {{ source('shop', 'orders') }}

    Use instead:
        stg_shop__orders calls {{ source('shop', 'orders') }};
        int_orders_enriched calls {{ ref('stg_shop__orders') }}
    """

    code = "MD006"
    name = "source-fanout"
    family = "modeling"
    summary = "A source table is read by more models than `max_source_fanout` (default 1)."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        limit = ctx.config.thresholds["max_source_fanout"]
        for source in ctx.project.sources():
            if not source.is_root_project or self.excepted(ctx, source):
                continue
            readers = sorted(
                ctx.project.nodes[uid].name for uid in ctx.project.children.get(source.unique_id, [])
                if ctx.project.nodes[uid].resource_type == "model"
            )
            if len(readers) <= limit:
                continue
            yield self.finding(
                f"the source {source.label} is read by {len(readers)} models ({listed(readers)}), more than "
                f"{limit}; read it in one staging model and ref() that everywhere else",
                ctx.node_location(source.unique_id),
                source=source.label,
                models=readers,
            )
