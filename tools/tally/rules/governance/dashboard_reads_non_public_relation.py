"""GV002: A dashboard query reads a relation that is not a public model."""

from __future__ import annotations

from collections import deque
from fnmatch import fnmatch
from typing import Iterable

from sqlglot import exp

from tally.context import QueryContext
from tally.findings import Finding, Location
from tally.inputs.project import Node, normalize_relation
from tally.rules.base import DASHBOARD_KINDS, Rule, Scope
from tally.rules.modeling.base import describe, reference_span


class DashboardReadsNonPublicRelation(Rule):
    """A dashboard query reads a relation that is not a public model.

    What it does:
        Checks every table a board query, analysis or SQL file reads. Public models are fine,
        and so is anything listed in `allowed_relations`; a staging or intermediate model, a
        source, a seed, a snapshot or a table dbt does not know at all is reported.

    Why it matters:
        A board never reads below a mart. Public marts promise their columns and grain and are
        where the metric definitions live; a board on a staging model counts test accounts,
        duplicates and cancelled orders the marts already handle, and breaks when the staging
        model changes.

    Example:
        select count(*) as orders from staging.stg_shop__orders

    Use instead:
        select count(*) as orders from marts.fct_orders where not is_test_account
    """

    code = "GV002"
    name = "dashboard-reads-non-public-relation"
    family = "governance"
    summary = "A dashboard query reads a relation that is not a public model."
    scope = Scope.QUERY
    applies_to = DASHBOARD_KINDS

    def check_query(self, ctx: QueryContext) -> Iterable[Finding]:
        analysis = ctx.analysis
        if analysis.tree is None:
            return
        allowed = [normalize_relation(name) for name in ctx.config.allowed_relations]
        for unique_id, node in analysis.relations.items():
            if node.resource_type == "model" and node.is_public:
                continue
            if _allowed(_names(node), allowed):
                continue
            table = next((t for t in analysis.tree.find_all(exp.Table) if t.meta.get("node") == unique_id), None)
            written = ".".join(p for p in ctx.project.relation_parts(node)[1:] if p)
            mart, related = _public_descendant(ctx, node)
            if mart is None:
                instead = "read a public mart instead"
            elif related:
                instead = f"read the public mart {mart.name} instead"
            else:
                instead = f"read a public mart built on it instead, such as {mart.name}"
            yield self.finding(
                f"reads {written}, {describe(ctx.shared, node)}, which is not a public model; {instead}",
                _location(ctx, table),
                relation=written,
                node=unique_id,
                suggested=mart.name if mart else None,
            )
        reported: set[str] = set()
        for table in analysis.unresolved_tables:
            written = ".".join(p for p in (table.catalog, table.db, table.name) if p)
            name = normalize_relation(written)
            if name in reported or _allowed([name], allowed):
                continue
            reported.add(name)
            yield self.finding(
                f"reads {written}, a table dbt does not know; read the public mart instead, or list it in "
                f"[tool.tally] allowed_relations if dashboards may read it",
                _location(ctx, table),
                relation=written,
            )


def _location(ctx: QueryContext, table: exp.Table | None) -> Location:
    """The start of the table reference as written, qualifiers included."""
    span = reference_span(ctx.unit.sql, table) if table is not None else None
    if span is None:
        return ctx.location(ctx.analysis.position(table))
    sql, start = ctx.unit.sql, span[0]
    return ctx.location((sql.count("\n", 0, start) + 1, start - (sql.rfind("\n", 0, start) + 1) + 1))


def _names(node: Node) -> list[str]:
    names = [node.name.lower(), node.label.lower()]
    if node.relation_name:
        names.append(normalize_relation(node.relation_name))
    if node.schema and node.alias:
        names.append(f"{node.schema}.{node.alias}".lower())
    return names


def _allowed(names: list[str], allowed: list[str]) -> bool:
    """A name is allowed when a pattern matches it whole or as its trailing parts ('meta.build_info')."""
    return any(fnmatch(name, pattern) or fnmatch(name, f"*.{pattern}") for name in names for pattern in allowed)


def _public_descendant(ctx: QueryContext, node: Node) -> tuple[Node | None, bool]:
    """A public model built from `node` to suggest instead, and whether it is about the same thing.

    Public descendants that share the most words of the node's name (`orders` in
    stg_shop__orders and fct_orders) come first, then those with the fewest other words, then
    the nearest.
    """
    project = ctx.project
    words = _words(ctx, node)
    best: tuple[tuple[int, int, int], Node] | None = None
    queue, distance = deque([(node.unique_id, 0)]), {node.unique_id: 0}
    while queue:
        current, depth = queue.popleft()
        for child_id in sorted(project.children.get(current, [])):
            child = project.nodes[child_id]
            if child_id in distance or child.resource_type != "model":
                continue
            distance[child_id] = depth + 1
            queue.append((child_id, depth + 1))
            if child.is_public:
                theirs = _words(ctx, child)
                rank = (len(words & theirs), -len(theirs - words), -(depth + 1))
                if best is None or rank > best[0]:
                    best = (rank, child)
    if best is None:
        return None, False
    return best[1], best[0][0] > 0


def _words(ctx: QueryContext, node: Node) -> set[str]:
    """The words of a name without its layer prefix, singular: stg_shop__orders -> {shop, order}."""
    name = node.name.lower()
    for layer in ctx.config.layers.values():
        for prefix in layer.prefixes:
            if name.startswith(prefix):
                name = name[len(prefix):]
    return {word.removesuffix("s") for word in name.split("_") if len(word) > 2}
