"""Canonical forms of filter predicates and aggregate arguments, so equal meanings compare equal.

`is_test_account = false`, `NOT is_test_account` and `is_test_account IS FALSE` are one
predicate; `x <> 'a'` and `NOT x = 'a'` too. A predicate is split into conjuncts and each
conjunct gets a canonical SQL string.

>>> import sqlglot
>>> canonical(sqlglot.parse_one("t.is_test = false"))
'NOT t.is_test'
>>> canonical(sqlglot.parse_one("NOT (t.status = 'x')")) == canonical(sqlglot.parse_one("t.status <> 'x'"))
True
>>> [canonical(c) for c in conjuncts(sqlglot.parse_one("a = 1 and (b > 2 and c is true)"))]
['a = 1', 'b > 2', 'c']
"""

from __future__ import annotations

from sqlglot import exp


def conjuncts(predicate: exp.Expression | None) -> list[exp.Expression]:
    """Split an AND tree into its parts (parentheses removed)."""
    if predicate is None:
        return []
    predicate = predicate.unnest()
    if isinstance(predicate, exp.And):
        return conjuncts(predicate.left) + conjuncts(predicate.right)
    return [predicate]


def _is_bool(node: exp.Expression, value: bool) -> bool:
    if isinstance(node, exp.Boolean):
        return node.this is value
    return False


def normalize(predicate: exp.Expression) -> exp.Expression:
    """Rewrite a single conjunct into a canonical shape (a new expression)."""
    node = predicate.copy().unnest()
    # col = true / col is true -> col ; col = false / col is false -> NOT col
    if isinstance(node, (exp.EQ, exp.Is)):
        left, right = node.left, node.right
        if _is_bool(right, True):
            return normalize(left)
        if _is_bool(right, False):
            return exp.Not(this=normalize(left))
        if _is_bool(left, True):
            return normalize(right)
        if _is_bool(left, False):
            return exp.Not(this=normalize(right))
    if isinstance(node, exp.NEQ):
        left, right = node.left, node.right
        if _is_bool(right, True):
            return exp.Not(this=normalize(left))
        if _is_bool(right, False):
            return normalize(left)
        return exp.Not(this=exp.EQ(this=left, expression=right))
    if isinstance(node, exp.Not):
        inner = node.this.unnest()
        if isinstance(inner, exp.Not):
            return normalize(inner.this)
        if isinstance(inner, exp.NEQ):
            return exp.EQ(this=inner.left, expression=inner.right)
        if isinstance(inner, exp.In) and len(inner.expressions) == 1:
            return exp.Not(this=exp.EQ(this=inner.this, expression=inner.expressions[0]))
        return exp.Not(this=normalize(inner))
    # x in ('a') -> x = 'a' ; x in ('b', 'a') -> sorted
    if isinstance(node, exp.In) and node.expressions and not node.args.get("query"):
        if len(node.expressions) == 1:
            return exp.EQ(this=node.this, expression=node.expressions[0])
        node.set("expressions", sorted(node.expressions, key=lambda e: e.sql()))
        return node
    # literal on the left: 'a' = x -> x = 'a'
    if isinstance(node, exp.EQ) and isinstance(node.left, exp.Literal) and not isinstance(node.right, exp.Literal):
        return exp.EQ(this=node.right, expression=node.left)
    return node


# Casts that do not change what a comparison means; casts to DATE do (they drop the time).
_BENIGN_CASTS = {
    exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.BOOLEAN,
    exp.DataType.Type.BIGINT, exp.DataType.Type.INT, exp.DataType.Type.SMALLINT, exp.DataType.Type.DECIMAL,
    exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT, exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPNTZ,
}


def strip_benign_casts(expression: exp.Expression) -> exp.Expression:
    """A copy without comments, parentheses or type casts that keep the value."""
    def strip(node: exp.Expression) -> exp.Expression:
        node.comments = None
        if isinstance(node, (exp.Cast, exp.TryCast)):
            to = node.args.get("to")
            if isinstance(to, exp.DataType) and to.this in _BENIGN_CASTS:
                return node.this
        if isinstance(node, exp.Paren) and not isinstance(node.this, (exp.Select, exp.Subquery)):
            return node.this
        return node

    return expression.copy().transform(strip)


def canonical(predicate: exp.Expression) -> str:
    """The canonical SQL of one conjunct, for comparing predicates."""
    return normalize(strip_benign_casts(predicate)).sql(dialect="duckdb", normalize=True, comments=False)


def canonical_set(predicates: list[exp.Expression]) -> dict[str, exp.Expression]:
    """Canonical string -> predicate, over the conjuncts of every predicate."""
    result: dict[str, exp.Expression] = {}
    for predicate in predicates:
        for part in conjuncts(predicate):
            if isinstance(part, exp.Boolean) and part.this is True:
                continue
            if isinstance(part, exp.EQ) and part.left == part.right:
                continue  # 1 = 1, what dashboard filter helpers leave behind
            result.setdefault(canonical(part), part)
    return result


def columns_of(expression: exp.Expression) -> set[tuple[str, str]]:
    """(relation key, column) of every column in an expression."""
    return {(c.table.lower(), c.name.lower()) for c in expression.find_all(exp.Column)}
