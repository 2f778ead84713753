"""Which joins multiply which rows: the grain of every source of every SELECT.

A join `a.id = b.a_id` multiplies the rows of `a` when `b.a_id` is not unique in `b`. The
grain of a source is what is proven unique about it: for a dbt node, its unique tests,
unique/primary-key constraints and semantic primary entity; for a derived table, its GROUP BY
(or DISTINCT), or the grain of the one relation it selects from. When the grain of the other
side is unknown, tally does not guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from tally.analysis.predicates import conjuncts
from tally.analysis.query import QueryAnalysis


@dataclass
class JoinUse:
    scope: Scope
    # alias -> the aliases whose non-unique join keys multiply its rows
    multiplied_by: dict[str, list[str]] = field(default_factory=dict)
    # alias -> the join keys of the multiplying side, for the message
    keys: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    position: tuple[int, int] = (1, 1)


def extract_joins(analysis: QueryAnalysis, schema) -> None:
    """Pipeline step: fill analysis.joins for every SELECT that joins."""
    if analysis.root_scope is None:
        return
    project = schema.project
    for scope in analysis.root_scope.traverse():
        select = scope.expression
        if not isinstance(select, exp.Select) or not select.args.get("joins"):
            continue
        use = _analyse_scope(scope, project)
        if use.multiplied_by:
            use.position = analysis.position(select.args["joins"][0])
            analysis.joins.append(use)


def _analyse_scope(scope: Scope, project) -> JoinUse:
    select = scope.expression
    aliases = list(scope.selected_sources)
    edges: list[tuple[str, str, list[str], list[str]]] = []  # (x, y, x columns, y columns)
    conditions = []
    for join in select.args.get("joins") or []:
        conditions += conjuncts(join.args.get("on"))
    where = select.args.get("where")
    if where is not None:
        conditions += conjuncts(where.this)  # implicit joins: from a, b where a.id = b.a_id
    pairs: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for condition in conditions:
        if not (isinstance(condition, exp.EQ) and isinstance(condition.left, exp.Column)
                and isinstance(condition.right, exp.Column)):
            continue
        left, right = condition.left, condition.right
        if not left.table or not right.table or left.table == right.table:
            continue
        key = (left.table, right.table)
        if key[::-1] in pairs:
            pairs[key[::-1]][0].append(right.name.lower())
            pairs[key[::-1]][1].append(left.name.lower())
        else:
            entry = pairs.setdefault(key, ([], []))
            entry[0].append(left.name.lower())
            entry[1].append(right.name.lower())
    for (x, y), (x_cols, y_cols) in pairs.items():
        edges.append((x, y, x_cols, y_cols))

    use = JoinUse(scope)
    for x, y, x_cols, y_cols in edges:
        for one, many, many_cols in ((x, y, y_cols), (y, x, x_cols)):
            unique = _is_unique(scope, many, many_cols, project)
            if unique is False:
                # `many` repeats each row of `one`, and of everything joined on `one`'s side
                for victim in _side_of(one, many, edges, aliases):
                    use.multiplied_by.setdefault(victim, []).append(many)
                    use.keys[(victim, many)] = many_cols
    return use


def _side_of(start: str, blocked: str, edges, aliases) -> set[str]:
    """Aliases reachable from `start` without crossing `blocked`."""
    seen = {start}
    frontier = [start]
    while frontier:
        current = frontier.pop()
        for x, y, _, _ in edges:
            for a, b in ((x, y), (y, x)):
                if a == current and b != blocked and b not in seen:
                    seen.add(b)
                    frontier.append(b)
    return seen


def _is_unique(scope: Scope, alias: str, columns: list[str], project) -> bool | None:
    """True/False when the grain of `alias` is known; None when it is not."""
    unique_sets = grain_of(scope.sources.get(alias) if alias in scope.sources else
                           scope.selected_sources.get(alias, (None, None))[1], project)
    if unique_sets is None:
        return None
    wanted = set(columns)
    return any(set(key) <= wanted for key in unique_sets)


def grain_of(source, project, depth: int = 0) -> list[tuple[str, ...]] | None:
    """Column sets proven unique in a source; None when nothing is known."""
    if depth > 20 or source is None:
        return None
    if isinstance(source, exp.Table):
        node = project.nodes.get(source.meta.get("node", ""))
        if node is None or not node.unique_column_sets:
            return None
        return list(node.unique_column_sets)
    if isinstance(source, Scope):
        select = source.expression
        if not isinstance(select, exp.Select):
            return None
        outputs = {}
        for item in select.selects:
            inner = item.this if isinstance(item, exp.Alias) else item
            if isinstance(inner, exp.Column):
                outputs[inner.sql()] = item.alias_or_name.lower()
        if select.args.get("distinct"):
            return [tuple(s.alias_or_name.lower() for s in select.selects)]
        group = select.args.get("group")
        if group is not None and group.expressions:
            names = []
            for expression in group.expressions:
                name = outputs.get(expression.sql())
                if name is None:
                    return None  # grouped by something not selected: grain not visible
                names.append(name)
            return [tuple(names)]
        if select.args.get("joins") is None and len(source.selected_sources) == 1:
            inner_source = next(iter(source.selected_sources.values()))[1]
            inner = grain_of(inner_source, project, depth + 1)
            if inner is None:
                return None
            renamed = {col.split(".")[-1]: alias for col, alias in outputs.items()}
            star = any(isinstance(s, exp.Star) for s in select.selects)
            mapped = []
            for key in inner:
                if all(c in renamed or star for c in key):
                    mapped.append(tuple(renamed.get(c, c) for c in key))
            return mapped or None
    return None
