"""Compare what each query column computes with the metric it computes or claims to.

A column *claims* a metric when its alias or a chart label names the metric (by name or label).
A column *computes* a metric when it aggregates a measure's column the measure's way. Either
way it is compared with the metric's definition, and every difference is recorded with a kind:

    aggregation       sum where the metric averages, max where it sums, ...
    filter_dropped    a filter of the metric is missing (test accounts, cancelled orders)
    filter_added      a filter on the columns the metric filters on is added
    filter_changed    a filter of the metric is replaced by another on the same columns
    expression        another column or expression than the metric's measure
    time_dimension    grouped by another time column than the metric's agg_time_dimension
    semi_additive     a semi-additive measure summed across its non-additive dimension
    ratio             a ratio metric as an average of ratios, or from the wrong parts
    count_distinct    rows counted where the metric counts distinct entities
    conversion        a conversion metric computed by hand

Columns are compared by their lineage origin, so `dim_customers.is_test_account = false`
satisfies a metric filter on `fct_orders.is_test_account`, and `order_status <> 'cancelled'`
is recognised as the same test as `is_cancelled = false`.

A model column *holds* a metric when the model names it after the metric and computes it as
defined (a rollup such as `agg_orders_by_month.customers`). A query reading a held column is
judged on what it does with the finished number: adding up monthly sums is the metric again,
adding up monthly distinct counts, snapshots or ratios is not.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass, field, replace

import sqlglot
from sqlglot import exp

from tally.analysis.aggregates import AVG, COUNT, COUNT_DISTINCT, MAX, MIN, SUM, AggregateUse, Projection
from tally.analysis.lineage import ProjectLineage
from tally.analysis.predicates import canonical, columns_of, conjuncts
from tally.analysis.query import QueryAnalysis
from tally.analysis.semantic import MetricDef, SemanticLayer

TIME_NAME_HINTS = ("_date", "_at", "_month", "_day", "_week", "_year", "_time", "_ts")
WRAPPERS = (exp.Cast, exp.TryCast, exp.Round, exp.Paren, exp.Coalesce, exp.Nullif, exp.Abs,
            exp.Filter)  # `agg(x) FILTER (WHERE c)`: the aggregate use already carries c


@dataclass
class Difference:
    kind: str
    detail: str
    position: tuple[int, int]


@dataclass
class MetricComparison:
    projection: Projection
    metric: MetricDef
    claimed_by: str | None  # "alias", "label" or None when found by its measure
    differences: list[Difference] = field(default_factory=list)
    grain: str | None = None

    @property
    def conforms(self) -> bool:
        return not self.differences


@dataclass(frozen=True)
class HeldMetric:
    """A model column that holds a metric already computed, at the model's grain."""

    relation: str
    column: str
    metric: MetricDef
    grain: str | None

    def describe(self) -> str:
        return f"{self.relation.split('.')[-1]}.{self.column}"


class Comparer:
    def __init__(self, semantic: SemanticLayer, lineage: ProjectLineage) -> None:
        self.semantic = semantic
        self.lineage = lineage
        self._origin_cache: dict[str, str] = {}
        self._descendant_cache: dict[str, set[str]] = {}
        # id(expression) -> (expression, value): the expression is kept so its id stays its own.
        self._canonical_memo: dict[int, tuple[exp.Expression, str]] = {}
        self._sql_memo: dict[int, tuple[exp.Expression, str]] = {}
        self._held_memo: dict[str, dict[str, HeldMetric]] = {}
        self._query_memo: dict[int, tuple[QueryAnalysis, list[MetricComparison]]] = {}
        self._model_analyses = {key.lower(): value for key, value in lineage.analyses.items()}

    # --- entry point -------------------------------------------------------------------------

    def compare_query(self, analysis: QueryAnalysis) -> list[MetricComparison]:
        found = self._query_memo.get(id(analysis))
        if found is None or found[0] is not analysis:
            found = self._query_memo[id(analysis)] = (analysis, self._compare_query(analysis))
        return found[1]

    def _compare_query(self, analysis: QueryAnalysis) -> list[MetricComparison]:
        results = []
        for projection in analysis.projections:
            if not projection.aggregates:
                continue
            comparison = self._compare_projection(projection, analysis)
            if comparison is not None:
                results.append(comparison)
        return results

    def _compare_projection(self, projection: Projection, analysis: QueryAnalysis) -> MetricComparison | None:
        metric, claimed_by = self.semantic.by_claim(projection.alias), "alias"
        if metric is None:
            for label in projection.labels:
                metric = self.semantic.by_claim(label)
                if metric is not None:
                    claimed_by = "label"
                    break
        if metric is not None and not self._reads_measures_of(projection, metric):
            metric = None  # upstream of the semantic layer (a model building the mart): no claim
        if metric is not None:
            comparison = MetricComparison(projection, metric, claimed_by)
            comparison.differences = self._compare_claimed(projection, metric)
            comparison.grain = _grain(projection)
            return comparison
        return self._compare_implicit(projection)

    def _reads_measures_of(self, projection: Projection, metric: MetricDef) -> bool:
        """True when the projection reads a metric's measure relation or something built on it."""
        relations = set().union(*(use.scope_relations for use in projection.aggregates))
        return bool(relations & self._measure_relations_and_descendants(metric))

    def _measure_relations_and_descendants(self, metric: MetricDef, seen: frozenset = frozenset()) -> set[str]:
        if metric.name in seen:
            return set()
        seen = seen | {metric.name}
        found: set[str] = set()
        measures = [metric.measure] if metric.measure is not None else []
        if metric.type == "conversion":
            measures = [self.semantic.measures.get(metric.conversion.get(k) or "") for k in ("base", "conversion")]
        for measure in measures:
            if measure is not None:
                found |= self._descendants(measure.relation)
        for name in [metric.numerator, metric.denominator, *metric.inputs]:
            other = self.semantic.metrics.get(name or "")
            if other is not None:
                found |= self._measure_relations_and_descendants(other, seen)
        return found

    def _descendants(self, relation: str) -> set[str]:
        cached = self._descendant_cache.get(relation)
        if cached is None:
            cached, frontier = {relation}, [relation]
            children = self.semantic.project.children
            while frontier:
                for child in children.get(frontier.pop(), []):
                    if child not in cached:
                        cached.add(child)
                        frontier.append(child)
            self._descendant_cache[relation] = cached
        return cached

    # --- claimed metrics ---------------------------------------------------------------------

    def _compare_claimed(self, projection: Projection, metric: MetricDef) -> list[Difference]:
        main = _main_aggregate(projection)
        held = self._held_metric(main.argument) if main is not None else None
        if held is not None:
            return self._compare_held(main, held, metric)
        if metric.type == "conversion":
            return [Difference(
                "conversion",
                f"computes `{_short(projection.expanded)}` by hand; a conversion metric pairs each "
                f"{metric.conversion.get('base')} with a later {metric.conversion.get('conversion')} of the same "
                f"{metric.conversion.get('entity')} within {metric.conversion.get('window')}",
                projection.position,
            )]
        if metric.type == "ratio":
            return self._compare_ratio(projection, metric)
        if metric.type == "derived":
            return self._compare_derived(projection.expanded, projection, metric)
        if main is None and metric.type == "cumulative":
            running = _running_total_of(projection)
            if running is not None:  # sum(sum(x)) over (order by day): a running total of the measure
                return [replace(d, position=projection.position) for d in self._compare_simple(running, metric)]
        if main is None:
            return [Difference(
                "expression",
                f"computes `{_short(projection.expanded)}`, not a single aggregate of {metric.measure.name}",
                projection.position,
            )]
        return self._compare_simple(_judged_aggregate(main, projection), metric, outer=main)

    def _compare_simple(self, use: AggregateUse, metric: MetricDef,
                        outer: AggregateUse | None = None, extra_filters: list | None = None) -> list[Difference]:
        """Compare one aggregate with a simple metric. `outer` is the aggregate the query
        outputs when it re-aggregates `use` (a sum of monthly sums): grouping and summing
        across periods are judged on it."""
        outer = outer or use
        measure = metric.measure
        if measure is None:  # a ratio or derived metric used where a simple one was expected
            return [Difference("expression", f"{metric.name} is a {metric.type} metric, not one aggregate", use.position)]
        differences: list[Difference] = []
        same_argument = self._same_argument(use, measure)
        if not same_argument:
            differences.append(Difference(
                "expression",
                f"aggregates `{_short(use.argument) if use.argument is not None else '*'}`; the measure "
                f"{measure.name} is `{measure.expr_sql}` of {self._relation_name(measure.relation)}",
                use.position,
            ))
        if measure.func == COUNT_DISTINCT and use.func == COUNT:
            differences.append(Difference(
                "count_distinct",
                f"counts rows (`count({_short(use.argument) if use.argument is not None else '*'})`) where the "
                f"metric counts distinct `{measure.expr_sql}`",
                use.position,
            ))
        elif use.func != measure.func and not (measure.func == COUNT and use.func == COUNT):
            differences.append(Difference(
                "aggregation",
                f"uses {use.func}() where the metric uses {measure.func}()",
                use.position,
            ))
        differences += self._compare_filters(use, metric, extra_filters or [])
        # The aggregate that reads the measure decides which date a row lands on; an outer query
        # that re-groups its periods (often through a join on the period) keeps that choice.
        differences += self._compare_time(use if use.time_groupings else outer, metric)
        differences += self._compare_semi_additive(use, metric, outer)
        return differences

    def _same_argument(self, use: AggregateUse, measure) -> bool:
        if measure.argument is None or use.argument is None:
            # Counting rows: count(*) and count(key) agree, on the measure's relation.
            counts = use.func in (COUNT, COUNT_DISTINCT) and measure.func in (COUNT, COUNT_DISTINCT)
            return counts and measure.relation in use.scope_relations
        if self._canonical(use.argument) == self._canonical(measure.argument):
            return True
        return self._origin_key(use.argument) == self._origin_key(measure.argument)

    # --- filters -------------------------------------------------------------------------------

    def _compare_filters(self, use: AggregateUse, metric: MetricDef, extra: list) -> list[Difference]:
        """`extra`: filters a ratio or derived metric puts on this input on top of its own."""
        expected = list(metric.filters) + list(extra)
        metric_filters = {self._origin_key(p): p for p in expected}
        query_filters = {self._origin_key(p): p for p in use.filters}
        missing = {k: p for k, p in metric_filters.items() if k not in query_filters}
        extra = {k: p for k, p in query_filters.items() if k not in metric_filters}
        metric_columns = set()
        for predicate in expected:
            metric_columns |= self._origin_columns(predicate)
        differences = []
        added_filters = []
        for key, added in list(extra.items()):
            added_columns = self._origin_columns(added)
            if not added_columns & metric_columns:
                continue  # a slice by another dimension (a country, a date range): allowed
            partner = next((m for m in missing.values() if self._origin_columns(m) & added_columns), None)
            if partner is not None:
                missing = {k: p for k, p in missing.items() if p is not partner}
                differences.append(Difference(
                    "filter_changed",
                    f"filters `{_readable(added)}` where the metric filters `{_readable(partner)}`",
                    use.position,
                ))
            else:
                added_filters.append(added)
        if added_filters:
            differences.append(Difference(
                "filter_added",
                f"adds {_listing(added_filters)}, which the metric does not have",
                use.position,
            ))
        if missing:
            differences.append(Difference(
                "filter_dropped",
                f"does not apply the metric's {_listing(list(missing.values()))}",
                use.position,
            ))
        return differences

    # --- time ----------------------------------------------------------------------------------

    def _compare_time(self, use: AggregateUse, metric: MetricDef) -> list[Difference]:
        measure = metric.measure
        if measure is None or measure.agg_time_column is None:
            return []
        expected = _strip_time(self.lineage.origin(measure.agg_time_column))
        differences = []
        for grain, column in use.time_groupings:
            if grain == "raw" and not self._looks_like_time(column, measure):
                continue
            if _strip_time(self.lineage.origin(column)) == expected:
                continue
            if measure.non_additive_column is not None and column.name == measure.non_additive_column.name:
                continue
            differences.append(Difference(
                "time_dimension",
                f"groups time by `{_column_sql(column, self)}`; the metric is recognised on "
                f"`{measure.agg_time_column.name}`",
                use.position,
            ))
        return differences

    def _looks_like_time(self, column: exp.Column, measure) -> bool:
        name = column.name.lower()
        return name.endswith(TIME_NAME_HINTS) or name.startswith(("date", "month", "week", "day"))

    def _compare_semi_additive(self, use: AggregateUse, metric: MetricDef, outer: AggregateUse) -> list[Difference]:
        measure = metric.measure
        if measure is None or measure.non_additive_column is None:
            return []
        dimension = _strip_time(self.lineage.origin(measure.non_additive_column))
        summed_again = outer is not use and outer.func == SUM
        for grain, column in outer.time_groupings:
            if grain in ("raw", "day", "month") and _strip_time(self.lineage.origin(column)) == dimension:
                return []
        if summed_again:
            return [self._semi_additive_difference(measure, outer)]
        for predicate in use.filters:
            if isinstance(predicate, exp.EQ) and any(
                _strip_time(self.lineage.origin(c)) == dimension for c in predicate.find_all(exp.Column)
            ):
                return []
        return [self._semi_additive_difference(measure, outer)]

    @staticmethod
    def _semi_additive_difference(measure, outer: AggregateUse) -> Difference:
        return Difference(
            "semi_additive",
            f"adds up {measure.name} across `{measure.non_additive_column.name}`; it is a snapshot: take one "
            f"{measure.non_additive_column.name} per period (window choice: {measure.non_additive_window or 'max'})",
            outer.position,
        )

    # --- ratios and derived metrics ---------------------------------------------------------------

    def _compare_ratio(self, projection: Projection, metric: MetricDef) -> list[Difference]:
        numerator = self.semantic.metrics.get(metric.numerator or "")
        denominator = self.semantic.metrics.get(metric.denominator or "")
        expression = _unwrap(projection.expanded)
        uses = {u.node.meta.get("agg_id"): u for u in projection.aggregates}
        if isinstance(expression, exp.Div):
            num_use = _single_aggregate(expression.left, uses) or self._held_metric(expression.left)
            den_use = _single_aggregate(expression.right, uses) or self._held_metric(expression.right)
            if num_use is not None and den_use is not None and numerator and denominator:
                found = []
                for side, use, expected in (("numerator", num_use, numerator), ("denominator", den_use, denominator)):
                    if isinstance(use, HeldMetric):  # a rollup's finished number, read as it stands
                        if use.metric.name != expected.name:
                            found.append(Difference(
                                "ratio",
                                f"wrong {side}: `{use.describe()}` holds {use.metric.name}, not {expected.name}",
                                projection.position,
                            ))
                        continue
                    sub = self._compare_side(use, expected, metric.input_filters.get(expected.name))
                    if sub:
                        other = self._best_metric(use, exclude=expected.name)
                        instead = f" (it computes {other})" if other else ""
                        found.append(Difference(
                            "ratio",
                            f"wrong {side}{instead}: " + "; ".join(d.detail for d in sub),
                            use.position,
                        ))
                return found
        if isinstance(expression, exp.AggFunc) and len(projection.aggregates) >= 1:
            outer = uses.get(expression.meta.get("agg_id"))
            if outer is not None and outer.func == AVG:
                if outer.reaggregates_ratio or (outer.argument is not None and outer.argument.find(exp.Div)):
                    return [Difference(
                        "ratio",
                        f"averages ratios (`{_short(projection.expanded)}`); {metric.name} is "
                        f"{metric.numerator} / {metric.denominator}, each summed over the whole period",
                        outer.position,
                    )]
                if numerator and denominator and self._avg_equals_ratio(outer, numerator, denominator):
                    return []
        return [Difference(
            "ratio",
            f"computes `{_short(projection.expanded)}` instead of {metric.numerator} / {metric.denominator}",
            projection.position,
        )]

    def _compare_side(self, use: AggregateUse, metric: MetricDef, extra_filters: list | None = None) -> list[Difference]:
        held = self._held_metric(use.argument)
        if held is not None:
            return self._compare_held(use, held, metric)
        if metric.type in ("simple", "cumulative"):
            return self._compare_simple(use, metric, extra_filters=extra_filters)
        return [Difference("expression", f"{metric.name} is a {metric.type} metric", use.position)]

    def _avg_equals_ratio(self, use: AggregateUse, numerator: MetricDef, denominator: MetricDef) -> bool:
        """avg(x) = sum(x) / count(rows) when the denominator counts the rows the numerator sums."""
        if numerator.measure is None or denominator.measure is None:
            return False
        if denominator.measure.func != COUNT or denominator.measure.relation != numerator.measure.relation:
            return False
        as_sum = AggregateUse(use.node, use.scope, SUM, use.argument, use.written_argument, use.filters,
                              use.group_by, use.time_groupings, position=use.position)
        return not self._compare_simple(as_sum, numerator)

    def _compare_derived(self, expression: exp.Expression, projection: Projection, metric: MetricDef) -> list[Difference]:
        formula = _parse_formula(metric.expr or "")
        if formula is None:
            return []
        uses = {u.node.meta.get("agg_id"): u for u in projection.aggregates}
        differences: list[Difference] = []

        def match(query_part: exp.Expression, formula_part: exp.Expression) -> None:
            query_part, formula_part = _unwrap(query_part), formula_part.unnest()
            if isinstance(formula_part, exp.Column):
                name = metric.input_aliases.get(formula_part.name, formula_part.name)
                target = self.semantic.metrics.get(name)
                use = _single_aggregate(query_part, uses)
                if target is None:
                    return
                if use is None:
                    differences.append(Difference(
                        "expression", f"computes `{_short(query_part)}` where {metric.name} takes {name}",
                        projection.position))
                    return
                for diff in self._compare_side(use, target, metric.input_filters.get(name)):
                    differences.append(Difference(diff.kind, f"{name}: {diff.detail}", diff.position))
                return
            if type(query_part) is type(formula_part) and isinstance(formula_part, exp.Binary):
                match(query_part.left, formula_part.left)
                match(query_part.right, formula_part.right)
                return
            differences.append(Difference(
                "expression",
                f"computes `{_short(query_part)}` where {metric.name} is `{metric.expr}` "
                f"({', '.join(f'{i}: {self.semantic.metrics[i].definition()}' for i in metric.inputs if i in self.semantic.metrics)})",
                projection.position,
            ))

        match(expression, formula)
        return differences

    # --- implicit matches ----------------------------------------------------------------------

    def _compare_implicit(self, projection: Projection) -> MetricComparison | None:
        outer = _main_aggregate(projection)
        if outer is None:
            return None
        main = _judged_aggregate(outer, projection)
        held = self._held_metric(main.argument)
        if held is not None:  # a rollup's metric re-aggregated under another name
            differences = self._compare_held(main, held, held.metric)
            if not differences:
                return None
            return MetricComparison(projection, held.metric, None, differences, _grain(projection))
        if main.argument is None and main.func != COUNT:
            return None
        best: MetricComparison | None = None
        for measure in self.semantic.measures.values():
            if measure.func != main.func and not (measure.func == COUNT_DISTINCT and main.func == COUNT):
                continue
            if measure.argument is None or main.argument is None:
                continue  # a bare count(*) claims nothing on its own
            if not self._same_argument(main, measure):
                continue
            for metric in self.semantic.metrics_using_measure(measure):
                comparison = MetricComparison(projection, metric, None,
                                              self._compare_simple(main, metric, outer=outer), _grain(projection))
                if comparison.conforms:
                    return None
                if best is None or len(comparison.differences) < len(best.differences):
                    best = comparison
        if best is not None:
            # Found by its measure, not by its name: report only what changes the number.
            best.differences = [d for d in best.differences if d.kind != "expression"]
            if not best.differences:
                return None
        return best

    def _best_metric(self, use: AggregateUse, exclude: str) -> str | None:
        for metric in self.semantic.metrics.values():
            if metric.name == exclude or metric.measure is None or metric.type != "simple":
                continue
            if not self._compare_simple(use, metric):
                return metric.name
        return None

    # --- metrics held by model columns (rollups) ---------------------------------------------

    def _held_metric(self, expression: exp.Expression | None) -> HeldMetric | None:
        """The metric a model column holds, when `expression` is such a column."""
        if expression is None:
            return None
        node = _unwrap(expression)
        if not isinstance(node, exp.Column) or not node.table:
            return None
        return self._held_by(node.table.lower()).get(node.name.lower())

    def _held_by(self, relation: str) -> dict[str, HeldMetric]:
        """The columns of a model named after a metric and computing it as defined."""
        found = self._held_memo.get(relation)
        if found is not None:
            return found
        self._held_memo[relation] = {}  # a model is never its own input; guard anyway
        analysis = self._model_analyses.get(relation)
        found = {}
        if analysis is not None:
            for comparison in self.compare_query(analysis):
                if comparison.claimed_by == "alias" and comparison.conforms:
                    column = comparison.projection.alias.lower()
                    found[column] = HeldMetric(relation, column, comparison.metric, comparison.grain)
        self._held_memo[relation] = found
        return found

    def _compare_held(self, use: AggregateUse, held: HeldMetric, metric: MetricDef) -> list[Difference]:
        """An aggregate over a column that already holds a metric: the metric's measure,
        filters and date were judged in the model; what is left is whether the finished
        numbers may be aggregated again this way."""
        per = f"per {held.grain}" if held.grain else "per row"
        if held.metric.name != metric.name:
            return [Difference(
                "expression",
                f"aggregates `{held.describe()}`, which holds {held.metric.name} {per}, not {metric.name}",
                use.position,
            )]
        allowed, kind, why = self._reaggregation(metric)
        if use.func in allowed:
            # The model put each row on the metric's date; its own period columns keep that choice.
            elsewhere = [(grain, column) for grain, column in use.time_groupings
                         if column.table.lower() != held.relation]
            return self._compare_time(replace(use, time_groupings=elsewhere), metric)
        return [Difference(
            kind,
            f"takes {use.func}() of `{held.describe()}`, which holds {metric.name} {per}: {why}",
            use.position,
        )]

    def _reaggregation(self, metric: MetricDef, seen: frozenset = frozenset()) -> tuple[set[str], str, str]:
        """How finished values of a metric may be aggregated again: the functions that give the
        metric over a larger set of rows, the kind of difference otherwise, and why."""
        measure = metric.measure
        if metric.type in ("ratio", "conversion"):
            return set(), "ratio", (f"a ratio; over several periods it is {metric.numerator or 'its numerator'} "
                                    f"summed over {metric.denominator or 'its base'} summed, not a {'sum or average'} of ratios")
        if metric.type == "cumulative":
            return set(), "aggregation", "a running total; adding periods counts the earlier ones again"
        if metric.type == "derived":
            inputs = [self.semantic.metrics.get(name) for name in metric.inputs]
            formula = _parse_formula(metric.expr or "")
            additive_formula = formula is not None and not formula.find(exp.Mul, exp.Div)
            if metric.name not in seen and additive_formula and inputs and all(
                i is not None and SUM in self._reaggregation(i, seen | {metric.name})[0] for i in inputs
            ):
                return {SUM}, "aggregation", f"{metric.expr} adds up, so sum() it"
            return set(), "aggregation", f"{metric.expr} does not add up across rows"
        if measure is None:
            return set(), "aggregation", f"a {metric.type} metric"
        if measure.non_additive_column is not None:
            return set(), "semi_additive", (f"a snapshot on `{measure.non_additive_column.name}`; adding periods "
                                            f"counts it once per period")
        if measure.func in (SUM, COUNT):
            return {SUM}, "aggregation", "a sum; adding it up again needs sum()"
        if measure.func in (MAX, MIN):
            return {measure.func}, "aggregation", f"a {measure.func}; only {measure.func}() keeps it"
        if measure.func == COUNT_DISTINCT:
            return set(), "aggregation", (f"a distinct count of `{measure.expr_sql}`; adding periods counts one "
                                          f"that appears in two of them twice (query the metric at the grain needed)")
        return set(), "aggregation", f"{measure.func}() does not add up across rows"

    # --- lineage helpers -------------------------------------------------------------------------

    def _canonical(self, expression: exp.Expression) -> str:
        """canonical(), memoised: an unclaimed column is compared with every measure of its
        aggregation, so the same arguments are canonicalised again and again. Arguments and
        measures are built once by the analysis and never changed afterwards."""
        found = self._canonical_memo.get(id(expression))
        if found is None or found[0] is not expression:
            found = self._canonical_memo[id(expression)] = (expression, canonical(expression))
        return found[1]

    def _origin_key(self, expression: exp.Expression) -> str:
        found = self._sql_memo.get(id(expression))
        if found is None or found[0] is not expression:
            found = self._sql_memo[id(expression)] = (expression, expression.sql(dialect="duckdb"))
        key = found[1]
        cached = self._origin_cache.get(key)
        if cached is None:
            cached = canonical(self.lineage.origin(expression))
            self._origin_cache[key] = cached
        return cached

    def _origin_columns(self, expression: exp.Expression) -> set[tuple[str, str]]:
        return columns_of(self.lineage.origin(expression))

    def _relation_name(self, relation: str) -> str:
        node = self.semantic.project.nodes.get(relation)
        return node.name if node else relation


def _main_aggregate(projection: Projection) -> AggregateUse | None:
    """The aggregate a projection is, ignoring casts and rounding; None for compound ones."""
    expression = _unwrap(projection.expanded)
    if isinstance(expression, exp.Window):
        expression = _unwrap(expression.this)
    if isinstance(expression, exp.AggFunc):
        return _use_of(expression, projection)
    return None


def _running_total_of(projection: Projection) -> AggregateUse | None:
    """The aggregate a running total sums: `sum(agg(x)) over (... order by ...)` gives `agg(x)`.
    Without an ORDER BY the window sums every row of its partition, which is no running total."""
    expression = _unwrap(projection.expanded)
    if not isinstance(expression, exp.Window) or not _window_order(expression, projection):
        return None
    outer = _unwrap(expression.this)
    if not isinstance(outer, exp.Sum):
        return None
    inner = _unwrap(outer.this)
    return _use_of(inner, projection) if isinstance(inner, exp.AggFunc) else None


def _window_order(window: exp.Window, projection: Projection) -> exp.Order | None:
    """A window's ORDER BY, written inline or in the named window it refers to
    (`over running_days ... window running_days as (order by day)`)."""
    if window.args.get("order"):
        return window.args["order"]
    name = window.args.get("alias")
    if not isinstance(name, exp.Identifier):
        return None
    for select in projection.node.root().find_all(exp.Select):
        for definition in select.args.get("windows") or []:
            if isinstance(definition.this, exp.Identifier) and definition.this.name.lower() == name.name.lower():
                return definition.args.get("order")
    return None


def _judged_aggregate(use: AggregateUse, projection: Projection) -> AggregateUse:
    """For a sum of sums (or max of max) over an inner scope, the inner aggregate: it is the one
    that reads the measure. Other re-aggregations are judged as they stand."""
    current = use
    while current.reaggregates and current.written_argument is not None and current.func in (SUM, "max", "min"):
        inner = _unwrap(current.written_argument)
        inner_use = _use_of(inner, projection) if isinstance(inner, exp.AggFunc) else None
        if inner_use is None or inner_use.func != current.func and current.func != SUM:
            break
        current = inner_use
    return current


@functools.lru_cache(maxsize=None)
def _parse_formula(formula: str) -> exp.Expression | None:
    """A derived metric's formula, parsed once however many queries compare with it (callers
    only read the tree); None when it cannot be read."""
    try:
        return sqlglot.parse_one(formula, dialect="duckdb") if formula else None
    except Exception:
        return None


def _use_of(node: exp.Expression, projection: Projection) -> AggregateUse | None:
    agg_id = node.meta.get("agg_id")
    return next((u for u in projection.aggregates if u.node.meta.get("agg_id") == agg_id), None)


def _single_aggregate(expression: exp.Expression, uses: dict) -> AggregateUse | None:
    node = _unwrap(expression)
    if isinstance(node, exp.AggFunc):
        return uses.get(node.meta.get("agg_id"))
    return None


def _unwrap(expression: exp.Expression) -> exp.Expression:
    node = expression
    while True:
        node = node.unnest()
        if isinstance(node, WRAPPERS):
            node = node.this
            continue
        if isinstance(node, exp.Mul):  # x * 1.0, 100 * x
            left, right = node.left, node.right
            if isinstance(right, exp.Literal) and not right.is_string:
                node = left
                continue
            if isinstance(left, exp.Literal) and not left.is_string:
                node = right
                continue
        return node


def _strip_time(expression: exp.Expression) -> str:
    node = expression
    while isinstance(node, (exp.Cast, exp.TryCast, exp.DateTrunc, exp.TimestampTrunc, exp.TsOrDsToDate,
                            exp.Date, exp.Paren)):
        node = node.this
    return canonical(node)


def _grain(projection: Projection) -> str | None:
    """The time grain a query groups by, for the `mf query --group-by` suggestion."""
    for use in projection.aggregates:
        for grain, column in use.time_groupings:
            if grain != "raw":
                return grain
            if column.name.lower().endswith(TIME_NAME_HINTS):
                return "day"
    return None


def _short(expression: exp.Expression | None, limit: int = 90) -> str:
    if expression is None:
        return "*"
    text = _display(expression).sql(dialect="duckdb")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _listing(predicates: list[exp.Expression]) -> str:
    texts = [f"`{_readable(p)}`" for p in predicates]
    noun = "filter" if len(texts) == 1 else "filters"
    return f"{noun} " + (texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1])


def _readable(predicate: exp.Expression) -> str:
    return _display(predicate).sql(dialect="duckdb")


def _display(expression: exp.Expression) -> exp.Expression:
    """Base columns printed as model.column instead of unique_id.column."""
    copy = expression.copy()
    for column in copy.find_all(exp.Column):
        table = column.table
        if table.count(".") >= 2:
            column.set("table", exp.to_identifier(table.split(".")[-1]))
    return copy


def _column_sql(column: exp.Column, comparer: Comparer) -> str:
    return _display(column).sql(dialect="duckdb")
