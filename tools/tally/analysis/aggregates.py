"""The signature of every aggregate a query computes, and of every column it outputs.

For each aggregate: the function (sum, count, count_distinct, avg, ...), its argument and the
filters that restrict the rows it sees, all in base columns; the time grouping of its scope;
and whether it re-aggregates values an inner scope already aggregated. For each output column
(projection of the outermost SELECT): its expression in base columns, the aggregates inside it
and the chart labels that name it. This is what the metric-conformance, fan-out and
consistency rules compare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from tally.analysis.expand import relation_key
from tally.analysis.predicates import conjuncts
from tally.analysis.query import QueryAnalysis

SUM, COUNT, COUNT_DISTINCT, AVG, MIN, MAX, OTHER = "sum", "count", "count_distinct", "avg", "min", "max", "other"

TIME_GRAINS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


@dataclass
class AggregateUse:
    node: exp.Expression  # the aggregate in the qualified tree
    scope: Scope
    func: str
    argument: exp.Expression | None  # in base columns; None for count(*)
    written_argument: exp.Expression | None  # the argument before CASE unwrapping, in base columns
    filters: list[exp.Expression] = field(default_factory=list)  # conjuncts, in base columns
    group_by: list[exp.Expression] = field(default_factory=list)  # in base columns
    time_groupings: list[tuple[str, exp.Column]] = field(default_factory=list)
    reaggregates: bool = False  # its argument is an aggregate computed by an inner scope
    reaggregates_ratio: bool = False  # ... and that inner value is a ratio
    source_alias: str | None = None  # the FROM/JOIN alias its argument's columns come from
    position: tuple[int, int] = (1, 1)
    scope_relations: set[str] = field(default_factory=set)  # base relations the scope reads

    @property
    def relations(self) -> set[str]:
        target = self.argument if self.argument is not None else None
        if target is None:
            return set()
        return {c.table.lower() for c in target.find_all(exp.Column)}


@dataclass
class Projection:
    alias: str
    node: exp.Expression  # the select item in the qualified tree
    expanded: exp.Expression  # its expression in base columns, CTEs inlined
    aggregates: list[AggregateUse]
    labels: list[str]
    position: tuple[int, int] = (1, 1)

    @property
    def is_aggregate(self) -> bool:
        return bool(self.aggregates)


def extract_aggregates(analysis: QueryAnalysis, schema) -> None:
    """Pipeline step: fill analysis.aggregates and analysis.projections."""
    if analysis.root_scope is None:
        return
    by_id: dict[int, AggregateUse] = {}
    for scope in analysis.root_scope.traverse():
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        nodes = [node for item in select.selects for node in _aggregates_in(item)]
        if not nodes:
            continue  # filters and grouping matter only to a scope's aggregates (and cost O(depth))
        group_by = [analysis.expander.expand(g, scope) for g in (select.args.get("group") or exp.Group()).expressions]
        time_groupings = [t for t in (_time_grouping(g) for g in group_by) if t]
        filters_by_source: dict[str | None, list[exp.Expression]] = {}
        for node in nodes:
            feeding = _argument_alias(node)
            if feeding not in filters_by_source:
                filters_by_source[feeding] = _scope_filters(analysis, scope, set(), feeding)
            use = _aggregate_use(analysis, scope, node, filters_by_source[feeding], group_by, time_groupings)
            node.meta["agg_id"] = len(analysis.aggregates)
            analysis.aggregates.append(use)
            by_id[node.meta["agg_id"]] = use
    _mark_reaggregation(analysis, by_id)

    root = analysis.root_scope
    root_select = root.expression
    while isinstance(root_select, exp.SetOperation):
        root_select = root_select.this
    if not isinstance(root_select, exp.Select):
        return
    for item in root_select.selects:
        alias = item.alias_or_name.lower()
        expanded = analysis.expander.expand(item.this if isinstance(item, exp.Alias) else item, root)
        inside = [by_id[n.meta["agg_id"]] for n in expanded.find_all(exp.AggFunc) if "agg_id" in n.meta]
        analysis.projections.append(
            Projection(
                alias=alias,
                node=item,
                expanded=expanded,
                aggregates=inside,
                labels=list(analysis.unit.labels.get(alias, [])),
                position=analysis.position(item),
            )
        )


def _aggregates_in(item: exp.Expression):
    """Grouping aggregates of a select item: not window functions, not inside subqueries."""
    for node in item.walk(bfs=False, prune=lambda n: isinstance(n, (exp.Subquery, exp.Select)) and n is not item):
        if isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Window):
            yield node


def _aggregate_use(analysis, scope, node, filters, group_by, time_groupings) -> AggregateUse:
    expander = analysis.expander
    func, argument, extra_filters = _unwrap(node)
    written = expander.expand(argument, scope) if argument is not None else None
    measure, case_filters = unwrap_conditional(written) if written is not None else (None, [])
    if func == SUM and measure is not None and _is_one(measure) and case_filters:
        func, measure = COUNT, None  # sum(case when c then 1 else 0 end) counts rows where c
    scope_alias = None
    if argument is not None:
        tables = {c.table for c in argument.find_all(exp.Column)}
        scope_alias = next(iter(tables)) if len(tables) == 1 else None
    expanded_extra = [expander.expand(f, scope) for f in extra_filters]
    return AggregateUse(
        node=node,
        scope=scope,
        func=func,
        argument=measure,
        written_argument=written,
        filters=filters + expanded_extra + case_filters,
        group_by=group_by,
        time_groupings=time_groupings,
        source_alias=scope_alias,
        position=analysis.position(node),
        scope_relations=_scope_relations(scope, set()),
    )


def _scope_relations(scope: Scope, seen: set[int]) -> set[str]:
    """Relation keys of the base tables a scope reads, through its derived tables."""
    if id(scope) in seen:
        return set()
    seen.add(id(scope))
    found: set[str] = set()
    for source in scope.sources.values():
        if isinstance(source, exp.Table):
            found.add(relation_key(source))
        elif isinstance(source, Scope):
            found |= _scope_relations(source, seen)
    return found


def _unwrap(node: exp.AggFunc) -> tuple[str, exp.Expression | None, list[exp.Expression]]:
    """(function, argument, filters from FILTER (WHERE ...) / count_if)."""
    filters: list[exp.Expression] = []
    parent = node.parent
    if isinstance(parent, exp.Filter) and isinstance(parent.expression, exp.Where):
        filters.extend(conjuncts(parent.expression.this))
    if isinstance(node, exp.CountIf):
        return COUNT, None, filters + conjuncts(node.this)
    argument = node.this
    if isinstance(node, exp.Count):
        if isinstance(argument, exp.Distinct):
            inner = argument.expressions[0] if len(argument.expressions) == 1 else exp.Tuple(expressions=argument.expressions)
            return COUNT_DISTINCT, inner, filters
        if argument is None or isinstance(argument, exp.Star):
            return COUNT, None, filters
        return COUNT, argument, filters
    if isinstance(node, exp.ApproxDistinct):
        return COUNT_DISTINCT, argument, filters
    if isinstance(argument, exp.Distinct) and len(argument.expressions) == 1:
        argument = argument.expressions[0]
    name = {exp.Sum: SUM, exp.Avg: AVG, exp.Min: MIN, exp.Max: MAX}.get(type(node), OTHER)
    return name, argument, filters


def unwrap_conditional(argument: exp.Expression) -> tuple[exp.Expression | None, list[exp.Expression]]:
    """`CASE WHEN c THEN x ELSE 0 END` -> (x, [c]); `IF(c, x, NULL)` likewise; else (arg, [])."""
    node = argument.unnest()
    if isinstance(node, exp.Case) and len(node.args.get("ifs") or []) == 1:
        branch = node.args["ifs"][0]
        condition, then, default = branch.this, branch.args.get("true"), node.args.get("default")
        if _is_nothing(default):
            return then, conjuncts(condition)
        if _is_nothing(then):
            return default, [exp.Not(this=condition.copy())]
    if isinstance(node, exp.If):
        condition, then, default = node.this, node.args.get("true"), node.args.get("false")
        if _is_nothing(default):
            return then, conjuncts(condition)
    return argument, []


def _is_nothing(node: exp.Expression | None) -> bool:
    """NULL, 0 or missing: a CASE branch that adds nothing to a sum or count."""
    if node is None or isinstance(node, exp.Null):
        return True
    return isinstance(node, exp.Literal) and not node.is_string and node.this in ("0", "0.0")


def _is_one(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and node.this in ("1", "1.0")


def _argument_alias(node: exp.Expression) -> str | None:
    """The FROM/JOIN alias an aggregate's argument reads, when it reads exactly one."""
    tables = {c.table for c in node.find_all(exp.Column) if c.table}
    return next(iter(tables)) if len(tables) == 1 else None


def _scope_filters(analysis: QueryAnalysis, scope: Scope, seen: set[int],
                   feeding: str | None = None) -> list[exp.Expression]:
    """Conjuncts restricting the rows an aggregate of `scope` sees: the scope's WHERE, constant
    conditions of its inner joins, and the filters of the derived tables it reads on the inner
    side of its joins. When the aggregate reads one alias (`feeding`), another derived table
    that aggregates rows of its own (a monthly refunds subquery joined to monthly revenue) is a
    separate measure, and its filters are not this aggregate's."""
    if id(scope) in seen or not isinstance(scope.expression, exp.Select):
        return []
    seen.add(id(scope))
    select = scope.expression
    expander = analysis.expander
    result: list[exp.Expression] = []
    where = select.args.get("where")
    if where is not None:
        result += [expander.expand(c, scope) for c in conjuncts(where.this)]
    outer_sides: set[str] = set()
    for join in select.args.get("joins") or []:
        alias = join.alias_or_name
        side = (join.side or "").upper()
        if side in ("LEFT", "RIGHT", "FULL"):
            outer_sides.add(alias)
            continue
        for condition in conjuncts(join.args.get("on")):
            if not _is_key_condition(condition):
                result.append(expander.expand(condition, scope))
    for alias, (_node, source) in scope.selected_sources.items():
        if not isinstance(source, Scope) or alias in outer_sides:
            continue
        if feeding is not None and alias != feeding and _aggregates_rows(source):
            continue
        result += _scope_filters(analysis, source, seen)
    return result


def _aggregates_rows(scope: Scope) -> bool:
    select = scope.expression
    if not isinstance(select, exp.Select):
        return False
    return bool(select.args.get("group")) or any(next(_aggregates_in(item), None) is not None for item in select.selects)


def _is_key_condition(condition: exp.Expression) -> bool:
    return isinstance(condition, exp.EQ) and isinstance(condition.left, exp.Column) and isinstance(condition.right, exp.Column)


TRUNCATIONS = (exp.DateTrunc, exp.TimestampTrunc, exp.DatetimeTrunc, exp.TimeTrunc)


def _time_grouping(expression: exp.Expression) -> tuple[str, exp.Column] | None:
    """('month', column) for date_trunc('month', column) and its spellings; ('day', column)
    for a date cast; ('raw', column) for a bare column."""
    node = expression.unnest()
    while isinstance(node, (exp.Cast, exp.TryCast)) and not _is_date_type(node):
        node = node.this
    if isinstance(node, exp.Column):
        return "raw", node
    if isinstance(node, (exp.Cast, exp.TryCast)) and isinstance(node.this, exp.Column):
        return "day", node.this
    if isinstance(node, (exp.Cast, exp.TryCast)) and isinstance(node.this, TRUNCATIONS):
        node = node.this  # cast(date_trunc('month', d) as date): the month, as a date
    if isinstance(node, TRUNCATIONS):
        unit = node.args.get("unit")
        column = node.this if isinstance(node.this, exp.Column) else node.find(exp.Column)
        grain = (unit.name if isinstance(unit, exp.Expression) else str(unit or "")).lower()
        if column is not None and grain in TIME_GRAINS:
            return grain, column
    if isinstance(node, (exp.Year, exp.Month, exp.Quarter, exp.Week, exp.Day)) and isinstance(node.this, exp.Column):
        return type(node).__name__.lower(), node.this
    if isinstance(node, exp.TimeToStr) and isinstance(node.this, exp.Column):
        fmt = node.args.get("format")
        text = fmt.name if isinstance(fmt, exp.Literal) else ""
        grain = "day" if "%d" in text else "month" if "%m" in text else "year" if "%Y" in text else None
        if grain:
            return grain, node.this
    return None


def _is_date_type(node: exp.Cast) -> bool:
    to = node.args.get("to")
    return isinstance(to, exp.DataType) and to.this in (exp.DataType.Type.DATE,)


def _mark_reaggregation(analysis: QueryAnalysis, by_id: dict[int, AggregateUse]) -> None:
    for use in analysis.aggregates:
        written = use.written_argument
        if written is None:
            continue
        inner = [n for n in written.find_all(exp.AggFunc) if "agg_id" in n.meta and n.meta["agg_id"] in by_id]
        if inner:
            use.reaggregates = True
            use.reaggregates_ratio = any(isinstance(d, exp.Div) for d in written.find_all(exp.Div))
