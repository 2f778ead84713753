"""MD008: A model reads B and C, C reads B too, and C has no other child: C is a needless step."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule

# Children that do not count as a use of a model (dbt-project-evaluator leaves them out too).
NOT_A_USE = ("exposure", "analysis", "metric")


class RejoiningUpstreamConcepts(ManifestRule):
    """A model reads B and C, C also reads B, and nothing else reads C.

    What it does:
        Finds triangles in the DAG: a model A with parents B and C where C also depends on B
        and A is C's only child (dbt-project-evaluator's rejoining of upstream concepts). The
        finding is reported on C, the step in between.

    Why it matters:
        A reads B twice, once directly and once through C. C exists only to be joined back to
        where it came from, so the logic of one concept is split over two models and every
        change has to be made in both.

    Example:
        int_order_totals reads stg_shop__orders;
        fct_orders reads stg_shop__orders and int_order_totals (its only reader)

    Use instead:
        fct_orders reads stg_shop__orders and computes the totals in a CTE;
        or int_order_totals carries every column fct_orders needs from stg_shop__orders
    """

    code = "MD008"
    name = "rejoining-upstream-concepts"
    family = "modeling"
    summary = "A model reads B and C, C reads B too, and C has no other child: C is a needless step."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        project = ctx.project
        for middle in project.models():
            children = [
                project.nodes[uid] for uid in project.children.get(middle.unique_id, [])
                if project.nodes[uid].resource_type not in NOT_A_USE
            ]
            if len(children) != 1 or children[0].resource_type != "model" or self.excepted(ctx, middle):
                continue
            child = children[0]
            rejoined = [
                project.nodes[uid] for uid in middle.depends_on
                if uid in child.depends_on and uid in project.nodes
            ]
            if not rejoined:
                continue
            names = ", ".join(p.name for p in rejoined)
            yield self.finding(
                f"{middle.name} is read only by {child.name}, which also reads its parent {names} directly; "
                f"fold {middle.name} into {child.name} as a CTE, or let {middle.name} carry everything "
                f"{child.name} needs from {names}",
                ctx.node_location(middle.unique_id),
                model=middle.name,
                child=child.name,
                rejoined=[p.name for p in rejoined],
            )
