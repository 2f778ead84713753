"""The semantic layer, resolved to the same vocabulary as queries: relations and base columns.

Every measure becomes (aggregation, argument, filters) over the columns of its semantic
model's dbt node; every metric filter becomes conjuncts over columns, with `Dimension(...)`
resolved through entities to the semantic model that owns the dimension. Ratio, derived,
cumulative and conversion metrics keep their structure and point at their inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import sqlglot
from sqlglot import exp

from tally.analysis.aggregates import AVG, COUNT, COUNT_DISTINCT, MAX, MIN, OTHER, SUM, unwrap_conditional
from tally.analysis.expand import base_column
from tally.analysis.predicates import conjuncts
from tally.inputs.project import Project

AGGREGATIONS = {
    "sum": SUM, "count": COUNT, "count_distinct": COUNT_DISTINCT, "average": AVG, "avg": AVG,
    "min": MIN, "max": MAX, "sum_boolean": COUNT,
}

_JINJA_CALL = re.compile(
    r"\{\{\s*(Dimension|TimeDimension|Entity)\(\s*['\"]([^'\"]+)['\"]\s*(?:,\s*['\"]([^'\"]+)['\"])?[^)]*\)"
    r"(?:\.\w+\([^)]*\))*\s*\}\}"
)


@dataclass
class MeasureDef:
    name: str
    semantic_model: str
    relation: str  # node unique_id
    func: str
    argument: exp.Expression | None  # base columns; None means count(*)
    filters: list[exp.Expression]  # conditions folded into the measure's expression
    agg_time_column: exp.Column | None
    non_additive_column: exp.Column | None = None
    non_additive_window: str | None = None
    expr_sql: str = ""
    agg_sql: str = ""


@dataclass
class MetricDef:
    name: str
    label: str
    description: str
    type: str  # simple, ratio, derived, cumulative, conversion
    measure: MeasureDef | None = None
    filters: list[exp.Expression] = field(default_factory=list)
    filter_sql: str = ""
    numerator: str | None = None
    denominator: str | None = None
    expr: str | None = None  # derived
    inputs: list[str] = field(default_factory=list)  # derived inputs (metric names)
    input_aliases: dict[str, str] = field(default_factory=dict)
    # Ratio and derived metrics: filters applied to an input metric on top of its own (the
    # metric's own filter plus the input's), by input name.
    input_filters: dict[str, list[exp.Expression]] = field(default_factory=dict)
    conversion: dict = field(default_factory=dict)
    path: str = ""
    line: int = 1

    def definition(self) -> str:
        """The canonical definition in one line, for messages."""
        if self.type in ("simple", "cumulative") and self.measure is not None:
            text = f"{self.measure.agg_sql}"
            if self.filter_sql:
                text += f" where {self.filter_sql}"
            if self.type == "cumulative":
                text = f"running total of {text}"
            return text
        where = f" where {self.filter_sql}" if self.filter_sql else ""
        if self.type == "ratio":
            return f"{self.numerator} / {self.denominator}{where}"
        if self.type == "derived":
            return f"{self.expr}{where}"
        if self.type == "conversion":
            params = self.conversion
            return (f"share of {params.get('base')} converting to {params.get('conversion')} "
                    f"by {params.get('entity')} within {params.get('window')}")
        return self.type


class SemanticLayer:
    def __init__(self, semantic_manifest: dict, project: Project, dialect: str) -> None:
        self.project = project
        self.dialect = dialect
        self.metrics: dict[str, MetricDef] = {}
        self.measures: dict[str, MeasureDef] = {}
        self._models: dict[str, dict] = {}
        self._relations: dict[str, str] = {}  # semantic model -> node unique_id
        self._primary_entity_model: dict[str, str] = {}
        self.errors: list[str] = []
        self._load(semantic_manifest or {})

    # --- loading ---------------------------------------------------------------------------

    def _load(self, manifest: dict) -> None:
        for sm in manifest.get("semantic_models", []):
            relation = sm.get("node_relation") or {}
            node = self.project.resolve_relation(relation.get("relation_name") or "") or self.project.by_name(
                relation.get("alias") or ""
            )
            if node is None:
                self.errors.append(f"semantic model {sm['name']}: its model is not in the manifest")
                continue
            self._models[sm["name"]] = sm
            self._relations[sm["name"]] = node.unique_id
            for entity in sm.get("entities", []):
                if entity.get("type") in ("primary", "unique", "natural"):
                    self._primary_entity_model.setdefault(entity["name"], sm["name"])
            if sm.get("primary_entity"):
                self._primary_entity_model.setdefault(sm["primary_entity"], sm["name"])
        for sm_name, sm in self._models.items():
            for measure in sm.get("measures", []):
                try:
                    self.measures[measure["name"]] = self._measure(sm_name, sm, measure)
                except (sqlglot.errors.ParseError, ValueError) as exc:
                    self.errors.append(f"measure {measure['name']}: {exc}")
        locations = self._metric_locations()
        for metric in manifest.get("metrics", []):
            try:
                definition = self._metric(metric)
            except (sqlglot.errors.ParseError, ValueError, KeyError) as exc:
                self.errors.append(f"metric {metric.get('name')}: {exc}")
                continue
            definition.path, definition.line = locations.get(definition.name, ("", 1))
            self.metrics[definition.name] = definition

    def _metric_locations(self) -> dict[str, tuple[str, int]]:
        found = {}
        for unique_id, metric in (self.project.manifest.get("metrics") or {}).items():
            found[metric.get("name")] = (metric.get("original_file_path") or "", self.project.yaml_line(
                metric.get("original_file_path") or "", metric.get("name")))
        return found

    def _column(self, sm_name: str, expr: str | None, default_name: str) -> exp.Expression:
        relation = self._relations[sm_name]
        text = expr if expr else default_name
        parsed = sqlglot.parse_one(text, dialect=self.dialect)
        for column in parsed.find_all(exp.Column):
            replacement = base_column(relation, column.name)
            replacement.meta["base"] = True
            if column is parsed:
                return replacement
            column.replace(replacement)
        return parsed

    def _dimension_column(self, sm_name: str, dimension_name: str) -> exp.Expression | None:
        sm = self._models.get(sm_name)
        if sm is None:
            return None
        for dim in sm.get("dimensions", []):
            if dim["name"] == dimension_name:
                return self._column(sm_name, dim.get("expr"), dim["name"])
        for entity in sm.get("entities", []):
            if entity["name"] == dimension_name:
                return self._column(sm_name, entity.get("expr"), entity["name"])
        return None

    def _measure(self, sm_name: str, sm: dict, measure: dict) -> MeasureDef:
        agg = (measure.get("agg") or "").lower()
        func = AGGREGATIONS.get(agg, OTHER)
        written = self._column(sm_name, measure.get("expr"), measure["name"])
        if agg == "sum_boolean":
            argument, filters = None, [written]
        else:
            argument, filters = unwrap_conditional(written)
            if func == SUM and argument is not None and _is_one(argument) and filters:
                func, argument = COUNT, None
        time_dim = measure.get("agg_time_dimension") or (sm.get("defaults") or {}).get("agg_time_dimension")
        time_column = self._dimension_column(sm_name, time_dim) if time_dim else None
        non_additive = measure.get("non_additive_dimension") or {}
        non_additive_column = self._dimension_column(sm_name, non_additive["name"]) if non_additive else None
        expr_sql = measure.get("expr") or measure["name"]
        return MeasureDef(
            name=measure["name"],
            semantic_model=sm_name,
            relation=self._relations[sm_name],
            func=func,
            argument=argument,
            filters=[f for part in filters for f in conjuncts(part)],
            agg_time_column=time_column if isinstance(time_column, exp.Column) else None,
            non_additive_column=non_additive_column if isinstance(non_additive_column, exp.Column) else None,
            non_additive_window=(non_additive.get("window_choice") or None) if non_additive else None,
            expr_sql=expr_sql,
            agg_sql=f"{agg}({expr_sql}) from {self.project.nodes[self._relations[sm_name]].name}",
        )

    def _render_filter(self, template: str, home_model: str | None) -> exp.Expression:
        """Turn a MetricFlow where-filter into SQL over base columns."""

        def substitute(match: re.Match) -> str:
            kind, reference = match.group(1), match.group(2)
            entity, _, name = reference.rpartition("__")
            if kind == "Entity":
                entity, name = reference, reference
            sm_name = self._primary_entity_model.get(entity.split("__")[-1]) if entity else home_model
            column = self._dimension_column(sm_name or home_model or "", name)
            if column is None:
                raise ValueError(f"filter refers to unknown {kind.lower()} {reference!r}")
            return column.sql(dialect="duckdb")

        return sqlglot.parse_one(_JINJA_CALL.sub(substitute, template), dialect="duckdb")

    def _filters(self, filter_spec: dict | None, home_model: str | None) -> tuple[list[exp.Expression], list[str]]:
        predicates, texts = [], []
        for where in (filter_spec or {}).get("where_filters", []) or []:
            template = (where.get("where_sql_template") or "").strip()
            if template:
                predicates.extend(conjuncts(self._render_filter(template, home_model)))
                texts.append(_readable_filter(template))
        return predicates, texts

    def _metric(self, metric: dict) -> MetricDef:
        params = metric.get("type_params") or {}
        definition = MetricDef(
            name=metric["name"],
            label=metric.get("label") or metric["name"],
            description=(metric.get("description") or "").strip(),
            type=metric.get("type") or "simple",
        )
        if definition.type in ("simple", "cumulative"):
            measure_input = params.get("measure") or {}
            measure = self.measures.get(measure_input.get("name", ""))
            if measure is None:
                raise ValueError(f"unknown measure {measure_input.get('name')!r}")
            definition.measure = measure
            metric_filters, metric_texts = self._filters(metric.get("filter"), measure.semantic_model)
            input_filters, input_texts = self._filters(measure_input.get("filter"), measure.semantic_model)
            definition.filters = metric_filters + input_filters + list(measure.filters)
            definition.filter_sql = " and ".join(metric_texts + input_texts)
        elif definition.type == "ratio":
            own, own_texts = self._filters(metric.get("filter"), None)
            for side in ("numerator", "denominator"):
                item = params.get(side) or {}
                setattr(definition, side, item.get("name"))
                extra, extra_texts = self._filters(item.get("filter"), None)
                definition.input_filters[item.get("name")] = own + extra
            definition.filter_sql = " and ".join(own_texts)
        elif definition.type == "derived":
            definition.expr = params.get("expr")
            own, own_texts = self._filters(metric.get("filter"), None)
            for item in params.get("metrics") or []:
                definition.inputs.append(item["name"])
                if item.get("alias"):
                    definition.input_aliases[item["alias"]] = item["name"]
                extra, _ = self._filters(item.get("filter"), None)
                definition.input_filters[item["name"]] = own + extra
            definition.filter_sql = " and ".join(own_texts)
        elif definition.type == "conversion":
            conv = params.get("conversion_type_params") or {}
            window = conv.get("window") or {}
            definition.conversion = {
                "base": (conv.get("base_measure") or {}).get("name"),
                "conversion": (conv.get("conversion_measure") or {}).get("name"),
                "entity": conv.get("entity"),
                "window": f"{window.get('count')} {window.get('granularity')}" if window else "any time",
                "calculation": conv.get("calculation"),
            }
        return definition

    # --- questions rules ask ---------------------------------------------------------------

    def metrics_using_measure(self, measure: MeasureDef) -> list[MetricDef]:
        return [m for m in self.metrics.values() if m.measure is measure and m.type == "simple"]

    def by_claim(self, name: str) -> MetricDef | None:
        """The metric a column name or chart label claims to be, if any."""
        key = claim_key(name)
        if not key:
            return None
        return self._claims().get(key)

    def _claims(self) -> dict[str, MetricDef]:
        """Claim key -> the first metric (in definition order) whose name or label has it."""
        cached = self.__dict__.get("_claims_index")
        if cached is None or cached[0] != len(self.metrics):
            index: dict[str, MetricDef] = {}
            for metric in self.metrics.values():
                for key in (claim_key(metric.name), claim_key(metric.label)):
                    index.setdefault(key, metric)
            cached = self.__dict__["_claims_index"] = (len(self.metrics), index)
        return cached[1]

    def mf_command(self, metric: MetricDef, grain: str | None) -> str:
        group = f" --group-by metric_time__{grain}" if grain else ""
        return f"mf query --metrics {metric.name}{group}"


def claim_key(name: str) -> str:
    """Normalise a column alias or chart label for matching against metric names and labels.

    >>> claim_key("Net Revenue (USD)") == claim_key("net_revenue")
    True
    >>> claim_key("total_orders")
    'orders'
    """
    return _claim_key(name)


@lru_cache(maxsize=4096)
def _claim_key(name: str) -> str:
    text = re.sub(r"\(([^)]*)\)", " ", name.lower())
    words = re.findall(r"[a-z0-9]+", text)
    while words and words[0] in ("total", "sum", "num", "count", "n"):
        words = words[1:]
    while words and words[-1] in ("usd", "total", "amount", "value", "eur", "sum"):
        words = words[:-1]
    return "_".join(words)


def _is_one(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and node.this in ("1", "1.0")


def _readable_filter(template: str) -> str:
    """`{{ Dimension('order__is_test_account') }} = false` -> `is_test_account = false`."""
    readable = _JINJA_CALL.sub(lambda m: m.group(2).rpartition("__")[2], template)
    return " ".join(readable.split())
