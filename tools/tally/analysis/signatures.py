"""One canonical string per definition, so two definitions can be compared by equality.

A dashboard column's signature is its expression with every column replaced by its lineage
origin, casts and comments removed, plus the filters each of its aggregates sees. A metric's
signature is its type, measure, aggregation, filters and time dimension, with ratio and derived
metrics spelled out through their inputs. Equal signatures mean equal numbers, whatever the
columns or metrics are called.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from tally.analysis.aggregates import Projection
from tally.analysis.lineage import ProjectLineage
from tally.analysis.predicates import canonical, conjuncts
from tally.analysis.semantic import MetricDef, SemanticLayer, claim_key
from tally.findings import Location


@dataclass(frozen=True)
class Definition:
    """One aggregate column of one dashboard query, reduced to what cross-query rules compare:
    the names it goes by, its signature, where it is, and whether it conforms to the metric of
    its name. Small and plain, so worker processes can hand it back."""

    keys: frozenset[str]
    signature: str
    location: Location
    conforms: bool
    query: tuple[str, str]  # (file, query name)


def definitions_of(query_ctx) -> list[Definition]:
    """The Definitions of a dashboard query's aggregate columns (a QueryContext)."""
    analysis = query_ctx.analysis
    if not analysis.ok:
        return []
    conforming = {id(c.projection) for c in query_ctx.comparisons if c.conforms}
    found = []
    for projection in analysis.projections:
        if not projection.aggregates:
            continue
        keys = frozenset({claim_key(projection.alias)} | {claim_key(label) for label in projection.labels}) - {""}
        found.append(Definition(
            keys=keys,
            signature=projection_signature(projection, query_ctx.lineage),
            location=query_ctx.location(projection.position),
            conforms=id(projection) in conforming,
            query=(query_ctx.unit.path, query_ctx.unit.name),
        ))
    return found


def projection_signature(projection: Projection, lineage: ProjectLineage) -> str:
    expression = _origin_key(projection.expanded, lineage)
    filters = sorted({
        _origin_key(part, lineage)
        for use in projection.aggregates
        for predicate in use.filters
        for part in conjuncts(predicate)
        if not (isinstance(part, exp.EQ) and part.left == part.right)
    })
    return expression + (" | where " + " and ".join(filters) if filters else "")


def _origin_key(expression: exp.Expression, lineage: ProjectLineage) -> str:
    """canonical(lineage.origin(expression)), memoised by the expression's SQL as the metric
    comparer does: the same filters recur in every aggregate of every board on a mart
    (6,500 filter conjuncts, 265 distinct, on the 2,000 boards of warehouse.bench.linter)."""
    cache = lineage.__dict__.setdefault("_signature_keys", {})
    key = expression.sql(dialect="duckdb")
    found = cache.get(key)
    if found is None:
        found = cache[key] = canonical(lineage.origin(expression))
    return found


def metric_signature(metric: MetricDef, semantic: SemanticLayer, lineage: ProjectLineage,
                     seen: frozenset[str] = frozenset()) -> str:
    if metric.name in seen:
        return f"<cycle {metric.name}>"
    seen = seen | {metric.name}

    def of(name: str | None) -> str:
        other = semantic.metrics.get(name or "")
        if other is None:
            return f"<{name}>"
        extra = sorted(canonical(lineage.origin(p)) for p in metric.input_filters.get(name or "", []))
        where = f" where {' and '.join(extra)}" if extra else ""
        return f"({metric_signature(other, semantic, lineage, seen)}{where})"

    if metric.type in ("simple", "cumulative") and metric.measure is not None:
        measure = metric.measure
        argument = canonical(lineage.origin(measure.argument)) if measure.argument is not None else "*"
        filters = sorted(canonical(lineage.origin(p)) for p in metric.filters)
        time = canonical(lineage.origin(measure.agg_time_column)) if measure.agg_time_column is not None else ""
        return f"{metric.type}:{measure.func}({argument}) on {measure.relation} where {' and '.join(filters)} @ {time}"
    if metric.type == "ratio":
        return f"ratio:{of(metric.numerator)}/{of(metric.denominator)}"
    if metric.type == "derived":
        expression = metric.expr or ""
        for name in sorted(metric.inputs, key=len, reverse=True):
            expression = expression.replace(name, of(name))
        return f"derived:{expression}"
    if metric.type == "conversion":
        params = metric.conversion
        return f"conversion:{params}"
    return f"{metric.type}:{metric.name}"
