"""MD011: A model reads a chain of more than `max_chained_views` (default 4) views or ephemeral models."""

from __future__ import annotations

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.inputs.project import Node
from tally.rules.modeling.base import ManifestRule

NOT_BUILT = ("view", "ephemeral")


class ChainedViews(ManifestRule):
    """A model reads a chain of more than `max_chained_views` views or ephemeral models.

    What it does:
        Follows a model's parents upwards for as long as they are views or ephemeral models and
        reports the model when the longest such chain is longer than `max_chained_views`
        (`[tool.tally.thresholds]`, default 4). Only the end of a chain is reported: a table,
        or a view nothing else reads.

    Why it matters:
        Nothing in a chain of views is stored: every query of the last model re-runs every
        query above it. Builds and dashboards get slower with each link, and the warehouse
        plans one enormous query.

    Example:
        stg_orders (view) -> int_orders_validated (view) -> int_orders_converted (view)
        -> int_orders_enriched (view) -> int_orders_sequenced (view) -> fct_orders (table)

    Use instead:
        Materialize a model part-way along the chain as a table (or incremental):
        ... -> int_orders_converted (table) -> ... -> fct_orders (table)
    """

    code = "MD011"
    name = "chained-views"
    family = "modeling"
    summary = "A model reads a chain of more than `max_chained_views` (default 4) views or ephemeral models."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        project = ctx.project
        limit = ctx.config.thresholds["max_chained_views"]
        chains: dict[str, list[Node]] = {}  # view -> longest chain of views ending with it

        def chain_through(node: Node) -> list[Node]:
            """The longest chain of views/ephemeral models ending at `node`'s parents."""
            best: list[Node] = []
            for parent in project.parents(node.unique_id):
                if parent.resource_type == "model" and parent.materialized in NOT_BUILT:
                    candidate = chains.get(parent.unique_id, [parent])
                    if len(candidate) > len(best):
                        best = candidate
            return best

        for node in project.topological_models():
            if node.resource_type == "model" and node.materialized in NOT_BUILT:
                chains[node.unique_id] = chain_through(node) + [node]

        for node in project.models():
            chain = chain_through(node)
            if len(chain) <= limit or self._extended(ctx, node) or self.excepted(ctx, node):
                continue
            names = " -> ".join(n.name for n in chain)
            yield self.finding(
                f"{node.name} reads a chain of {len(chain)} views ({names}), more than {limit}; materialize "
                f"one part-way along the chain as a table",
                ctx.node_location(node.unique_id),
                model=node.name,
                chain=[n.name for n in chain],
                limit=limit,
            )

    @staticmethod
    def _extended(ctx: ProjectContext, node: Node) -> bool:
        """A view another model reads: the chain goes on, and is reported where it ends."""
        if node.materialized not in NOT_BUILT:
            return False
        children = ctx.project.children.get(node.unique_id, [])
        return any(ctx.project.nodes[uid].resource_type == "model" for uid in children)
