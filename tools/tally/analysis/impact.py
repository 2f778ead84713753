"""Who reads what: from a column to the models, metrics and dashboard tiles that use it.

Built on the project lineage, the semantic layer and the dashboards' analyses. `tally lineage`
prints it; `tally review` uses it to say which metrics and tiles a change moves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from tally.analysis.lineage import ColumnKey, ProjectLineage
from tally.analysis.query import QueryAnalysis
from tally.analysis.semantic import MetricDef, SemanticLayer, claim_key


@dataclass(frozen=True)
class Tile:
    """One output column of one dashboard query."""

    path: str
    query: str
    column: str
    labels: tuple[str, ...]
    line: int

    def __str__(self) -> str:
        label = f" ({self.labels[0]!r})" if self.labels else ""
        return f"{self.path}:{self.line} {self.query}.{self.column}{label}"


class Impact:
    def __init__(self, lineage: ProjectLineage, semantic: SemanticLayer, dashboards: list[QueryAnalysis]) -> None:
        self.lineage = lineage
        self.semantic = semantic
        self.project = semantic.project
        self._tile_columns: list[tuple[Tile, set[ColumnKey], str]] = []
        for analysis in dashboards:
            for projection in analysis.projections:
                line, _ = projection.position
                tile = Tile(analysis.unit.path, analysis.unit.name, projection.alias, tuple(projection.labels),
                            analysis.unit.location(line, 1).line)
                reads = {(c.table.lower(), c.name.lower()) for c in projection.expanded.find_all(exp.Column)}
                for use in projection.aggregates:
                    for predicate in use.filters:
                        reads |= {(c.table.lower(), c.name.lower()) for c in predicate.find_all(exp.Column)}
                self._tile_columns.append((tile, reads, projection.alias))

    # --- names -------------------------------------------------------------------------------

    def label(self, key: ColumnKey) -> str:
        relation, column = key
        node = self.project.nodes.get(relation)
        if node is None:
            return f"{relation}.{column}"
        prefix = "source " if node.resource_type == "source" else ""
        return f"{prefix}{node.label}.{column}"

    def resolve(self, text: str) -> ColumnKey | None:
        """'fct_orders.gross_revenue_usd' or 'shop.orders.status' (a source) -> column key."""
        parts = text.lower().split(".")
        if len(parts) < 2:
            return None
        column = parts[-1]
        relation = ".".join(parts[:-1])
        node = self.project.by_name(relation)
        if node is None and len(parts) == 3:
            node = next((n for n in self.project.sources() if n.source_name == parts[0] and n.name == parts[1]), None)
        if node is None:
            node = self.project.resolve_relation(relation)
        return (node.unique_id, column) if node is not None else None

    # --- metrics -----------------------------------------------------------------------------

    def metric_columns(self, metric: MetricDef, seen: set[str] | None = None) -> set[ColumnKey]:
        """Mart columns a metric reads: its measures, filters and time dimensions."""
        seen = seen or set()
        if metric.name in seen:
            return set()
        seen.add(metric.name)
        columns: set[ColumnKey] = set()
        if metric.measure is not None:
            measure = metric.measure
            for part in [measure.argument, measure.agg_time_column, measure.non_additive_column, *metric.filters]:
                if part is not None:
                    columns |= {(c.table.lower(), c.name.lower()) for c in part.find_all(exp.Column)}
            if measure.argument is None:
                columns.add((measure.relation, "*"))
        for name in [metric.numerator, metric.denominator, *metric.inputs]:
            if name and name in self.semantic.metrics:
                columns |= self.metric_columns(self.semantic.metrics[name], seen)
        if metric.type == "conversion":
            for measure_name in (metric.conversion.get("base"), metric.conversion.get("conversion")):
                measure = self.semantic.measures.get(measure_name or "")
                if measure is not None and measure.argument is not None:
                    columns |= {(c.table.lower(), c.name.lower()) for c in measure.argument.find_all(exp.Column)}
        return columns

    def metrics_reading(self, key: ColumnKey, direct_only: bool = True) -> list[MetricDef]:
        """Metrics that read the column: by default those that read it themselves (simple,
        cumulative, conversion); ratio and derived metrics built on them hang below those."""
        found = [
            m for m in self.semantic.metrics.values()
            if key in self.metric_columns(m) and (not direct_only or m.type not in ("ratio", "derived"))
        ]
        return sorted(found, key=lambda m: m.name)

    def metrics_built_on(self, metric: MetricDef) -> list[MetricDef]:
        """Ratio and derived metrics that take this metric as an input (transitively)."""
        found: dict[str, MetricDef] = {}
        frontier = [metric.name]
        while frontier:
            name = frontier.pop()
            for other in self.semantic.metrics.values():
                if other.name in found:
                    continue
                if name in (other.numerator, other.denominator) or name in other.inputs:
                    found[other.name] = other
                    frontier.append(other.name)
        return sorted(found.values(), key=lambda m: m.name)

    # --- dashboards ----------------------------------------------------------------------------

    def tiles_reading(self, key: ColumnKey) -> list[Tile]:
        return [tile for tile, reads, _ in self._tile_columns if key in reads]

    def tiles_showing(self, metric: MetricDef) -> list[Tile]:
        keys = {claim_key(metric.name), claim_key(metric.label)}
        found = []
        for tile, _reads, alias in self._tile_columns:
            names = [alias, *tile.labels]
            if any(claim_key(n) in keys for n in names):
                found.append(tile)
        return found

    # --- columns -------------------------------------------------------------------------------

    def downstream_columns(self, key: ColumnKey) -> set[ColumnKey]:
        seen: set[ColumnKey] = set()
        frontier = [key]
        while frontier:
            current = frontier.pop()
            for edge in self.lineage.downstream.get(current, []):
                if edge.downstream not in seen:
                    seen.add(edge.downstream)
                    frontier.append(edge.downstream)
        return seen
