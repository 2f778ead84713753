"""Analyse one SQL unit once, in an explicit order of small steps.

    parse -> resolve relations -> qualify -> scopes -> aggregates -> joins

Each step reads what the earlier ones left on the QueryAnalysis and adds its own part. A step
that cannot proceed (a parse error, say) records why and the later steps see nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from tally.analysis.expand import Expander
from tally.analysis.schema import ProjectSchema
from tally.inputs.project import Node
from tally.inputs.units import SqlUnit


@dataclass
class QueryAnalysis:
    unit: SqlUnit
    dialect: str
    statements: list[exp.Expression] = field(default_factory=list)
    tree: exp.Expression | None = None  # the (last) SELECT statement, qualified
    parse_error: str | None = None
    parse_error_position: tuple[int, int] = (1, 1)
    qualify_error: str | None = None
    relations: dict[str, Node] = field(default_factory=dict)  # relation key -> node
    unresolved_tables: list[exp.Table] = field(default_factory=list)
    root_scope: Scope | None = None
    expander: Expander = field(default_factory=Expander)
    aggregates: list = field(default_factory=list)  # list[AggregateUse], see aggregates.py
    projections: list = field(default_factory=list)  # list[Projection]
    joins: list = field(default_factory=list)  # list[JoinUse], see joins.py
    output_columns: list[str] = field(default_factory=list)
    portability: list = field(default_factory=list)  # (dialect, problem, (line, col)), see portability.py

    @property
    def ok(self) -> bool:
        return self.tree is not None

    def position(self, node: exp.Expression | None) -> tuple[int, int]:
        """1-based (line, column) in the unit's SQL of a node, or of its first positioned part."""
        return position_in(self.unit.sql, node)


def position_in(sql: str, node: exp.Expression | None) -> tuple[int, int]:
    """1-based (line, column) where a node's text starts in `sql`.

    sqlglot records token offsets on some nodes (identifiers, most functions); a node without
    its own offset starts at its earliest positioned part. A function call whose name carries
    no offset is found by looking back from its first argument for `name(`.
    """
    if node is None:
        return 1, 1
    while isinstance(node, (exp.Alias, exp.Binary)) and _offset(node) is None:
        node = node.this if isinstance(node, exp.Alias) else node.left  # where its text begins
    start = _offset(node)
    if start is None:
        starts = [o for o in (_offset(n) for n in node.walk()) if o is not None]
        if not starts:
            return _keyword_position(sql, node)
        start = min(starts)
        if isinstance(node, (exp.Array, exp.Comprehension, exp.Paren, exp.Tuple, exp.Subquery)):
            before = sql[:start].rstrip()
            if before.endswith(("[", "(")):
                start = len(before) - 1
        elif isinstance(node, exp.Func):
            start = _function_start(sql, node, start)
    line = sql.count("\n", 0, start) + 1
    col = start - (sql.rfind("\n", 0, start) + 1) + 1
    return line, col


def _keyword_position(sql: str, node: exp.Expression) -> tuple[int, int]:
    """Clauses sqlglot keeps no offsets for (GROUP BY ALL, ORDER BY ALL): find their keyword."""
    import re

    keyword = {exp.Group: r"group\s+by", exp.Order: r"order\s+by"}.get(type(node))
    match = re.search(keyword, sql, re.IGNORECASE) if keyword else None
    if match is None:
        return 1, 1
    start = match.start()
    return sql.count("\n", 0, start) + 1, start - (sql.rfind("\n", 0, start) + 1) + 1


def _offset(node: exp.Expression) -> int | None:
    meta = node._meta if getattr(node, "_meta", None) else None
    return meta.get("start") if meta else None


def _function_start(sql: str, node: exp.Func, argument_start: int) -> int:
    """Step back from a function's first argument over `name(` (and DISTINCT)."""
    before = sql[:argument_start].rstrip()
    if before.lower().endswith("distinct"):
        before = before[: -len("distinct")].rstrip()
    if not before.endswith("("):
        return argument_start
    before = before[:-1].rstrip()
    end = len(before)
    while end > 0 and (before[end - 1].isalnum() or before[end - 1] == "_"):
        end -= 1
    return end if end < len(before) else argument_start


# --- steps ------------------------------------------------------------------------------------


def parse(analysis: QueryAnalysis, schema: ProjectSchema) -> None:
    sql = analysis.unit.sql
    if not sql.strip():
        return
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=analysis.dialect, error_level=ErrorLevel.RAISE) if s]
    except (ParseError, TokenError) as exc:
        analysis.parse_error, analysis.parse_error_position = _describe_parse_error(exc)
        return
    except RecursionError:
        analysis.parse_error = "the statement nests too deeply to parse"
        return
    except Exception as exc:  # sqlglot raises a few other errors on junk input
        analysis.parse_error = f"cannot parse: {type(exc).__name__}: {exc}".splitlines()[0][:300]
        return
    analysis.statements = statements
    queries = [s for s in statements if isinstance(s, exp.Query)]
    if queries:
        analysis.tree = queries[-1]


def resolve_relations(analysis: QueryAnalysis, schema: ProjectSchema) -> None:
    if analysis.tree is None:
        return
    analysis.relations = schema.resolve_tables(analysis.tree)
    cte_names = {cte.alias_or_name.lower() for cte in analysis.tree.find_all(exp.CTE)}
    for table in analysis.tree.find_all(exp.Table):
        if "node" in table.meta or not table.name:
            continue
        if not table.db and table.name.lower() in cte_names:
            continue
        analysis.unresolved_tables.append(table)


def qualify_columns(analysis: QueryAnalysis, schema: ProjectSchema) -> None:
    if analysis.tree is None:
        return
    try:
        analysis.tree = qualify(
            analysis.tree,
            schema=schema.mapping,
            dialect=analysis.dialect,
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
        )
    except RecursionError:
        analysis.qualify_error = "too deeply nested to qualify"
    except Exception as exc:  # an unqualifiable query is still worth the other checks
        analysis.qualify_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def scopes(analysis: QueryAnalysis, schema: ProjectSchema) -> None:
    if analysis.tree is None:
        return
    try:
        analysis.root_scope = build_scope(analysis.tree)
        for scope in analysis.root_scope.traverse() if analysis.root_scope is not None else ():
            scope.selected_sources  # raises on an alias used twice (`from a as o join b as o`)
    except Exception as exc:
        analysis.root_scope = None  # later steps would fail on the same scopes
        analysis.qualify_error = analysis.qualify_error or f"cannot build scopes: {exc}"[:300]
        return
    if analysis.root_scope is not None:
        analysis.output_columns = [s.alias_or_name.lower() for s in _selects(analysis.root_scope.expression)]


def _selects(expression: exp.Expression) -> list[exp.Expression]:
    while isinstance(expression, exp.SetOperation):
        expression = expression.this
    return list(expression.selects) if isinstance(expression, exp.Select) else []


def _describe_parse_error(exc: Exception) -> tuple[str, tuple[int, int]]:
    errors = getattr(exc, "errors", None) or []
    if errors:
        first = errors[0]
        description = first.get("description") or str(exc)
        line, col = first.get("line") or 1, first.get("col") or 1
        highlight = first.get("highlight")
        if highlight and col >= len(highlight):
            col = col - len(highlight) + 1  # sqlglot points at the end of the token
        near = f" near {highlight!r}" if highlight else ""
        return f"{description}{near}", (line, col)
    return str(exc).splitlines()[0][:300], (1, 1)


Step = Callable[[QueryAnalysis, ProjectSchema], None]


def analyse(unit: SqlUnit, schema: ProjectSchema, dialect: str, steps: tuple[Step, ...]) -> QueryAnalysis:
    analysis = QueryAnalysis(unit=unit, dialect=dialect)
    for step in steps:
        try:
            step(analysis, schema)
        except RecursionError:
            # Nested deeper than a step can walk (hundreds of subqueries): reported like a query
            # too deep to parse, with nothing half-analysed left for the rules.
            return QueryAnalysis(unit=unit, dialect=dialect, parse_error="the statement nests too deeply to analyse")
    return analysis
