"""MD005: A model with no parents: it reads neither ref() nor source()."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule


class RootModel(ManifestRule):
    """A model with no parents: it reads neither `ref()` nor `source()`.

    What it does:
        Reports every model whose manifest entry depends on no other node. A model that
        generates its rows (a date spine) is a legitimate root: list it under
        `[tool.tally.exceptions.MD005]` with the reason.

    Why it matters:
        A model with no parents either hard-codes the tables it reads, so dbt cannot order the
        build or show the lineage, or holds data typed into SQL that belongs in a seed.

    Example:
        -- models/staging/stg_shop__orders.sql
        select * from raw_shop.orders

    Use instead:
        -- models/staging/stg_shop__orders.sql
        select * from {{ source('shop', 'orders') }}
    """

    code = "MD005"
    name = "root-model"
    family = "modeling"
    summary = "A model with no parents: it reads neither ref() nor source()."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            if node.depends_on or self.excepted(ctx, node):
                continue
            yield self.finding(
                f"{node.name} has no parents (no ref() and no source()); read its tables through "
                f"source() or ref(), or, if it generates its rows, list it under "
                f"[tool.tally.exceptions.{self.code}] with the reason",
                ctx.node_location(node.unique_id),
                model=node.name,
            )
