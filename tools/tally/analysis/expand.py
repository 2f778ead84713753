"""Rewrite an expression in terms of base-table columns, looking through CTEs and subqueries.

`sum(o.revenue)` where `o` is a CTE selecting `fct_orders.gross_revenue_usd as revenue` expands
to `sum("model.x.fct_orders".gross_revenue_usd)`. Base columns are Column expressions whose
table is a *relation key*: the dbt node's unique_id when the table resolved to one, otherwise
the table's own name. This is the vocabulary the rules compare queries and metrics in.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

MAX_EXPANDED_NODES = 400  # beyond this an expression is kept opaque rather than inlined


def base_column(relation_key: str, column: str) -> exp.Column:
    return exp.Column(
        this=exp.Identifier(this=column.lower(), quoted=False),
        table=exp.Identifier(this=relation_key, quoted=True),
    )


def _fresh(column: exp.Column) -> exp.Column:
    """A new base column like `column`: building one is twice as fast as copying it."""
    result = base_column(column.table, column.name)
    result.meta.update(column.meta)
    return result


def relation_key(table: exp.Table) -> str:
    return table.meta.get("node") or ".".join(p for p in (table.db, table.name) if p).lower()


def is_base(column: exp.Column) -> bool:
    return bool(column.meta.get("base"))


class Expander:
    """Expands expressions of one query's scopes; memoised per (scope, column)."""

    def __init__(self) -> None:
        self._memo: dict[tuple[int, str, str], exp.Expression] = {}

    def expand(self, expression: exp.Expression, scope: Scope) -> exp.Expression:
        """A copy of `expression` with every column replaced by its base-column definition."""
        if isinstance(expression, exp.Column):  # the commonest case: no copy to make and replace
            return _fresh(expression) if is_base(expression) else self.resolve(expression, scope)
        copy = expression.copy()
        columns = list(copy.find_all(exp.Column))
        for column in columns:
            if is_base(column):
                continue
            replacement = self.resolve(column, scope)
            if column is copy:
                return replacement
            column.replace(replacement)
        return copy

    def resolve(self, column: exp.Column, scope: Scope) -> exp.Expression:
        """What a column of `scope` is, in base columns."""
        key = (id(scope), column.table.lower(), column.name.lower())
        cached = self._memo.get(key)
        if cached is None:
            cached = self._memo[key] = self._resolve(column, scope)
        return _fresh(cached) if isinstance(cached, exp.Column) and is_base(cached) else cached.copy()

    def _resolve(self, column: exp.Column, scope: Scope) -> exp.Expression:
        name = column.name.lower()
        source = scope.sources.get(column.table) if column.table else _only_source(scope)
        if isinstance(source, exp.Table):
            result = base_column(relation_key(source), name)
            result.meta["base"] = True
            return result
        if isinstance(source, Scope):
            projection = _projection(source, name)
            if projection is not None:
                inner = projection.this if isinstance(projection, exp.Alias) else projection
                if too_large(inner):
                    return _opaque(column, name)
                return self.expand(inner, source)
            if _selects_star(source):
                # `select * from x` whose star could not be expanded: look through it
                return self.resolve(exp.column(name), source)
        return _opaque(column, name)


def _only_source(scope: Scope):
    """The one relation a scope selects from (FROM without joins), if there is one."""
    selected = scope.selected_sources
    if len(selected) == 1:
        return next(iter(selected.values()))[1]
    return None


def _projection(scope: Scope, name: str) -> exp.Expression | None:
    expression = scope.expression
    while isinstance(expression, exp.SetOperation):  # UNION: the first branch names the columns
        expression = expression.this
    if not isinstance(expression, exp.Select):
        return None
    for select in expression.selects:
        if select.alias_or_name.lower() == name:
            return select
    return None


def _selects_star(scope: Scope) -> bool:
    expression = scope.expression
    while isinstance(expression, exp.SetOperation):
        expression = expression.this
    return isinstance(expression, exp.Select) and any(
        isinstance(s, exp.Star) or (isinstance(s, exp.Column) and isinstance(s.this, exp.Star))
        for s in expression.selects
    )


def _opaque(column: exp.Column, name: str) -> exp.Column:
    """A column tally cannot see through (a star, a table function): keep it by name."""
    result = base_column(column.table.lower() or "?", name)
    result.meta["base"] = True
    result.meta["opaque"] = True
    return result


def too_large(expression: exp.Expression) -> bool:
    """More than MAX_EXPANDED_NODES nodes: kept opaque rather than inlined further."""
    for count, _ in enumerate(expression.walk(), start=1):
        if count > MAX_EXPANDED_NODES:
            return True
    return False
