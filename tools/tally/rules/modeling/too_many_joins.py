"""MD010: A model joins more tables than `max_joins` (default 7)."""

from typing import Iterable

from sqlglot import exp

from tally.context import ProjectContext
from tally.findings import Finding, Location
from tally.rules.base import Needs
from tally.rules.modeling.base import ManifestRule


class TooManyJoins(ManifestRule):
    """A model's SQL has more joins than `max_joins` (default 7).

    What it does:
        Counts the joins in a model's parsed SQL, in every CTE and subquery, and reports models
        with more than `max_joins` (`[tool.tally.thresholds]`). The finding points at the line of
        the first join past the limit.

    Why it matters:
        A model that joins many tables does many things at once: it is hard to review, slow to
        build and a likely place for a join to fan out rows unnoticed.

    Example:
        select ... from orders
        join customers ... join addresses ... join products ... join prices ...
        join payments ... join refunds ... join shipments ... join campaigns ...

    Use instead:
        -- int_orders_joined_to_customers.sql, int_orders_joined_to_payments.sql: each one
        -- concept, joined in a mart that reads the intermediate models
    """

    code = "MD010"
    needs = Needs.PARSED  # the joins as written: qualification adds none
    name = "too-many-joins"
    family = "modeling"
    summary = "A model joins more tables than `max_joins` (default 7)."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        limit = ctx.config.thresholds["max_joins"]
        for node in ctx.project.models():
            analysis = ctx.model_analyses.get(node.unique_id)
            unit = ctx.model_units.get(node.unique_id)
            if analysis is None or unit is None or analysis.tree is None:
                continue
            joins = sorted((analysis.position(j) for j in analysis.tree.find_all(exp.Join)))
            if len(joins) <= limit or self.excepted(ctx, node):
                continue
            location = unit.location(*joins[limit])
            lines = node.raw_code.splitlines()
            if 1 <= location.line <= len(lines):  # the start of the line's text: its `join`
                text = lines[location.line - 1]
                location = Location(location.path, location.line, len(text) - len(text.lstrip()) + 1)
            yield self.finding(
                f"{node.name} has {len(joins)} joins, more than {limit}; move groups of joins that build one "
                f"concept into intermediate models and join those",
                location,
                model=node.name,
                joins=len(joins),
                limit=limit,
            )
