"""What changed between base and head, and everything downstream of it.

1. dbt's own state comparison (`dbt ls --select state:modified --state <base>`) names the changed
   nodes. dbt 1.11 does not compare a metric's filter or type parameters (`Metric.same_filter`
   and `same_type_params` are TODOs that return True) and never reports a new metric, so tally
   compares metric definitions itself, component by component.
2. Removed nodes come from the base manifest; a removed and an added model that read alike are
   a rename.
3. Downstream, table level: dbt's child map (models, semantic models, metrics, saved queries,
   exposures). Column level: each changed model's output columns, as tally's lineage computes
   them, base against head; from every changed column, tally's Impact follows the lineage to
   the columns, metrics and dashboard tiles that read it.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp

from tally.analysis import query
from tally.analysis.impact import Impact
from tally.analysis.predicates import canonical
from tally.analysis.semantic import MetricDef
from tally.analysis.signatures import metric_signature
from tally.config import Config
from tally.context import ProjectContext
from tally.engine import STEPS, build_shared
from tally.inputs.artifacts import Artifacts, ArtifactError, load_artifacts
from tally.inputs.collect import collect
from tally.review.workspace import ReviewError, Workspace

# What `dbt ls` is asked about, and what the report follows downstream.
RESOURCE_TYPES = ("model", "seed", "snapshot", "source", "semantic_model", "metric", "saved_query", "exposure")
GRAPH_SECTIONS = ("nodes", "sources", "semantic_models", "metrics", "saved_queries", "exposures")
BUILDABLE = ("model", "seed", "snapshot")
RENAME_THRESHOLD = 0.6


# --- one side's analysis -------------------------------------------------------------------------


@dataclass
class SideAnalysis:
    """A side's artifacts and tally's analysis of them: the same inputs `tally check` reads."""

    name: str
    artifacts: Artifacts
    shared: ProjectContext
    impact: Impact
    config: Config

    @property
    def manifest(self) -> dict:
        return self.artifacts.manifest

    @property
    def semantic_manifest(self) -> dict:
        return self.artifacts.semantic_manifest

    def graph_nodes(self) -> dict[str, dict]:
        """Every node of the manifest that can change, by unique id (tests left out)."""
        found = {}
        for section in GRAPH_SECTIONS:
            for unique_id, raw in (self.manifest.get(section) or {}).items():
                if raw.get("resource_type", section.rstrip("s")) != "test":
                    found[unique_id] = raw
        return found

    def name_of(self, unique_id: str) -> str:
        raw = self.graph_nodes().get(unique_id) or {}
        return raw.get("name") or unique_id.split(".")[-1]


def analyse_side(name: str, project_dir: Path | None, target_dir: Path, config: Config) -> SideAnalysis:
    """Load a side's artifacts and build tally's shared analysis and impact over them."""
    side_config = dataclasses.replace(config, project_dir=project_dir or target_dir, check_models=False)
    try:
        artifacts = load_artifacts(project_dir or target_dir, target_path=target_dir, parse_if_stale=False)
    except ArtifactError as exc:
        raise ReviewError(f"{name}: {exc}") from None
    shared = build_shared(artifacts, side_config)
    dashboards = collect(shared.project, side_config)[0] if project_dir is not None else []
    analyses = [query.analyse(unit, shared.schema, shared.dialect, STEPS) for unit in dashboards]
    return SideAnalysis(name, artifacts, shared, Impact(shared.lineage, shared.semantic, analyses), side_config)


# --- what the report holds -------------------------------------------------------------------------


@dataclass
class NodeChange:
    unique_id: str
    name: str
    resource_type: str
    change: str  # added, removed, renamed, modified, downstream
    path: str = ""
    renamed_from: str | None = None
    seen_by: str = "dbt"  # dbt's state comparison, or tally's (metrics, removals, renames)
    sql: str | None = None  # models: "same" (comments and layout only) or "changed", base against head

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class ColumnChange:
    model: str
    column: str
    change: str  # added, removed, changed, renamed
    base: str | None = None  # the column's expression over its parents' columns
    head: str | None = None
    renamed_from: str | None = None
    base_model_id: str | None = None
    head_model_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.model}.{self.column}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class ComponentChange:
    """One part of a metric's definition, base against head."""

    metric: str
    component: str  # type, aggregation, expression, filter, time dimension
    base: str | None
    head: str | None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Changes:
    nodes: list[NodeChange] = field(default_factory=list)  # changed themselves
    downstream: list[NodeChange] = field(default_factory=list)  # changed because a parent did
    columns: list[ColumnChange] = field(default_factory=list)
    downstream_columns: list[str] = field(default_factory=list)
    metric_components: list[ComponentChange] = field(default_factory=list)
    metrics_upstream_changed: list[str] = field(default_factory=list)  # same definition, columns changed
    metrics_by_column: list[str] = field(default_factory=list)
    metrics_by_definition: list[str] = field(default_factory=list)
    metrics_by_table: list[str] = field(default_factory=list)
    tiles: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)  # base unique_id -> head unique_id
    dbt_selected: list[str] = field(default_factory=list)  # state:modified, as dbt answered

    @property
    def impacted_metrics(self) -> list[str]:
        return sorted(set(self.metrics_by_column) | set(self.metrics_by_definition) | set(self.metrics_by_table))

    @property
    def changed_models(self) -> list[NodeChange]:
        """Models that are rebuilt in head: changed themselves or downstream of a change."""
        return [n for n in self.nodes + self.downstream if n.resource_type == "model" and n.change != "removed"]

    def to_dict(self) -> dict:
        return {
            "nodes": [n.to_dict() for n in self.nodes],
            "downstream": [n.to_dict() for n in self.downstream],
            "columns": [c.to_dict() for c in self.columns],
            "downstream_columns": self.downstream_columns,
            "metric_components": [c.to_dict() for c in self.metric_components],
            "metrics": {
                "impacted": self.impacted_metrics,
                "by_definition": self.metrics_by_definition,
                "by_column_lineage": self.metrics_by_column,
                "by_table_lineage": self.metrics_by_table,
                "upstream_changed": self.metrics_upstream_changed,
            },
            "tiles": self.tiles,
            "dbt_state_modified": self.dbt_selected,
        }


# --- dbt's state comparison ----------------------------------------------------------------------


def state_modified(ws: Workspace) -> list[str] | None:
    """Unique ids dbt's `state:modified` selects in head against the base manifest.

    `dbt ls` parses head as it goes and writes head's manifest; when it fails, head does not
    parse, and the error is left in ws.head_parse_error (None is returned).
    """
    run = ws.head.dbt("--quiet", "ls", "--select", "state:modified", "--state", str(ws.state_dir),
                      "--resource-type", *RESOURCE_TYPES, "--output", "json", "--output-keys", "unique_id")
    if not run.ok:
        ws.head_parse_error = run.error
        return None
    selected = []
    for line in run.output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                selected.append(json.loads(line)["unique_id"])
            except (ValueError, KeyError):
                continue
    return selected


# --- comparing -----------------------------------------------------------------------------------


def compare(base: SideAnalysis, head: SideAnalysis, dbt_modified: list[str]) -> Changes:
    changes = Changes(dbt_selected=sorted(dbt_modified))
    base_nodes, head_nodes = base.graph_nodes(), head.graph_nodes()
    removed = [u for u in base_nodes if u not in head_nodes and _kind(base_nodes[u]) in RESOURCE_TYPES]
    added = {u for u in head_nodes if u not in base_nodes and _kind(head_nodes[u]) in RESOURCE_TYPES}
    changes.renames = _renames(base, head, removed, added)

    direct: dict[str, NodeChange] = {}
    for unique_id in dbt_modified:
        raw = head_nodes.get(unique_id)
        if raw is None or _kind(raw) not in RESOURCE_TYPES:
            continue
        kind = "added" if unique_id in added else "modified"
        direct[unique_id] = NodeChange(unique_id, _name(raw, unique_id), _kind(raw), kind, _path(raw))

    # Metrics, compared by tally (dbt's comparison does not look at their definitions).
    base_defs = metric_definitions(base)
    head_defs = metric_definitions(head)
    for name, definition in head_defs.items():
        unique_id = _metric_id(head, name)
        if name not in base_defs:
            if unique_id and unique_id not in direct:
                direct[unique_id] = NodeChange(unique_id, name, "metric", "added", _path(head_nodes.get(unique_id, {})),
                                               seen_by="tally")
            continue
        differences = [ComponentChange(name, component, base_defs[name].get(component, (None, None))[1],
                                       definition.get(component, (None, None))[1])
                       for component in _components(base_defs[name], definition)
                       if base_defs[name].get(component, (None,))[0] != definition.get(component, (None,))[0]]
        if differences:
            changes.metric_components += differences
            changes.metrics_by_definition.append(name)
            if unique_id and unique_id not in direct:
                direct[unique_id] = NodeChange(unique_id, name, "metric", "modified",
                                               _path(head_nodes.get(unique_id, {})), seen_by="tally")
        elif _signature(base, name) != _signature(head, name):
            changes.metrics_upstream_changed.append(name)

    for unique_id in removed:
        raw = base_nodes[unique_id]
        new_id = changes.renames.get(unique_id)
        if new_id is not None:
            new_raw = head_nodes[new_id]
            direct[new_id] = NodeChange(new_id, _name(new_raw, new_id), _kind(new_raw), "renamed", _path(new_raw),
                                        renamed_from=_name(raw, unique_id), seen_by="tally")
        else:
            direct[unique_id] = NodeChange(unique_id, _name(raw, unique_id), _kind(raw), "removed", _path(raw),
                                           seen_by="tally")
    changes.nodes = sorted(direct.values(), key=_order)

    # Downstream, table level: dbt's graph in head (and in base for what head no longer has).
    seeds = [n.unique_id for n in changes.nodes if n.change != "removed"]
    below = _descendants(head.manifest, seeds)
    below |= {u for u in _descendants(base.manifest, [n.unique_id for n in changes.nodes if n.change == "removed"])
              if u in head_nodes}
    for unique_id in sorted(below - set(direct)):
        raw = head_nodes.get(unique_id)
        if raw is not None and _kind(raw) in RESOURCE_TYPES:
            changes.downstream.append(NodeChange(unique_id, _name(raw, unique_id), _kind(raw), "downstream",
                                                 _path(raw)))
    changes.downstream.sort(key=_order)
    changes.metrics_by_table = sorted(
        {n.name for n in changes.nodes + changes.downstream if n.resource_type == "metric" and n.change != "removed"}
    )
    changes.metrics_by_definition.sort()

    # Column level.
    changes.columns = column_changes(base, head, changes)
    _follow_columns(base, head, changes)
    return changes


def _components(a: dict, b: dict) -> list[str]:
    return [c for c in ("type", "aggregation", "expression", "filter", "time dimension") if c in a or c in b]


def _order(node: NodeChange) -> tuple:
    kinds = ("model", "seed", "snapshot", "source", "semantic_model", "metric", "saved_query", "exposure")
    return (kinds.index(node.resource_type) if node.resource_type in kinds else 99, node.name)


def _kind(raw: dict) -> str:
    return raw.get("resource_type", "")


def _name(raw: dict, unique_id: str) -> str:
    """A node's name, with its version when it has one (`fct_orders.v2`)."""
    name = raw.get("name") or unique_id.split(".")[-1]
    return f"{name}.v{raw['version']}" if raw.get("version") is not None else name


def _path(raw: dict) -> str:
    return raw.get("original_file_path") or ""


def _metric_id(side: SideAnalysis, name: str) -> str | None:
    for unique_id, raw in (side.manifest.get("metrics") or {}).items():
        if raw.get("name") == name:
            return unique_id
    return None


def _descendants(manifest: dict, roots: list[str]) -> set[str]:
    children = manifest.get("child_map") or {}
    seen: set[str] = set()
    frontier = list(roots)
    while frontier:
        current = frontier.pop()
        for child in children.get(current, []):
            if child not in seen and not child.startswith(("test.", "unit_test.")):
                seen.add(child)
                frontier.append(child)
    return seen


# --- renames -------------------------------------------------------------------------------------


def _renames(base: SideAnalysis, head: SideAnalysis, removed: list[str], added: set[str]) -> dict[str, str]:
    """Pair each removed node with the added node of the same type that reads most alike."""
    base_nodes, head_nodes = base.graph_nodes(), head.graph_nodes()
    candidates = []
    for old in removed:
        for new in added:
            if _kind(base_nodes[old]) != _kind(head_nodes[new]):
                continue
            if base_nodes[old].get("name") == head_nodes[new].get("name"):
                continue  # the same model under a new version, not a rename (see breaking.py)
            score = _likeness(base, head, old, new)
            if score >= RENAME_THRESHOLD:
                candidates.append((score, old, new))
    pairs: dict[str, str] = {}
    for _score, old, new in sorted(candidates, reverse=True):
        if old not in pairs and new not in pairs.values():
            pairs[old] = new
    return pairs


def _likeness(base: SideAnalysis, head: SideAnalysis, old: str, new: str) -> float:
    a, b = base.graph_nodes()[old], head.graph_nodes()[new]
    if _kind(a) == "metric":
        defs_a = metric_definitions(base).get(a.get("name"), {})
        defs_b = metric_definitions(head).get(b.get("name"), {})
        return 1.0 if defs_a and {k: v[0] for k, v in defs_a.items()} == {k: v[0] for k, v in defs_b.items()} else 0.0
    text_a = " ".join((a.get("raw_code") or json.dumps(a.get("measures") or a.get("columns") or {})).split())
    text_b = " ".join((b.get("raw_code") or json.dumps(b.get("measures") or b.get("columns") or {})).split())
    text = difflib.SequenceMatcher(None, text_a, text_b, autojunk=False).ratio() if text_a or text_b else 0.0
    columns_a = set(base.shared.lineage.columns_of(old)) or set(a.get("columns") or {})
    columns_b = set(head.shared.lineage.columns_of(new)) or set(b.get("columns") or {})
    if columns_a or columns_b:
        overlap = len(columns_a & columns_b) / len(columns_a | columns_b)
        return 0.5 * text + 0.5 * overlap
    return text


# --- metric definitions ----------------------------------------------------------------------------


def metric_definitions(side: SideAnalysis) -> dict[str, dict[str, tuple[str, str]]]:
    """Each metric's components as (comparison key, text for people), from tally's semantic
    layer (relations named by model, so a definition reads the same on both sides)."""
    cached = side.__dict__.get("_metric_definitions")
    if cached is not None:
        return cached
    raw_metrics = {m["name"]: m for m in side.semantic_manifest.get("metrics", [])}
    raw_measures = {m["name"]: m for sm in side.semantic_manifest.get("semantic_models", []) for m in sm.get("measures", [])}
    found = {}
    for name, metric in side.shared.semantic.metrics.items():
        found[name] = _metric_components(side, metric, raw_metrics.get(name, {}), raw_measures)
    for name, raw in raw_metrics.items():  # metrics tally's semantic layer could not resolve
        if name not in found:
            found[name] = {"type": (raw.get("type", ""), raw.get("type", "")),
                           "expression": (_json(raw.get("type_params")), _json(raw.get("type_params")))}
    side.__dict__["_metric_definitions"] = found
    return found


def _metric_components(side: SideAnalysis, metric: MetricDef, raw: dict, raw_measures: dict) -> dict:
    components: dict[str, tuple[str, str]] = {"type": (metric.type, metric.type)}
    params = raw.get("type_params") or {}
    filters = [(w.get("where_sql_template") or "").strip() for w in ((raw.get("filter") or {}).get("where_filters") or [])]
    if metric.measure is not None:
        measure = metric.measure
        agg = (raw_measures.get(measure.name) or {}).get("agg") or measure.func
        aggregation = agg
        if measure.non_additive_column is not None:
            aggregation += f", non-additive over {measure.non_additive_column.name} ({measure.non_additive_window})"
        window = params.get("cumulative_type_params") or {}
        if metric.type == "cumulative":
            aggregation += f", cumulative {_json({k: v for k, v in window.items() if v})}"
        components["aggregation"] = (aggregation, aggregation)
        model = side.shared.project.nodes.get(measure.relation)
        argument = _readable(side, measure.argument) if measure.argument is not None else "*"
        text = f"{argument} from {model.name if model else measure.relation}"
        components["expression"] = (text, text)
        conjuncts = sorted(_readable(side, part, canonical_form=True) for part in metric.filters)
        components["filter"] = (" and ".join(conjuncts), metric.filter_sql or " and ".join(conjuncts) or "(none)")
        if measure.agg_time_column is not None:
            time = _readable(side, measure.agg_time_column)
            components["time dimension"] = (time, time)
    else:
        if metric.type == "ratio":
            parts = {k: params.get(k) for k in ("numerator", "denominator")}
            text = f"{metric.numerator} / {metric.denominator}"
            components["expression"] = (_json(parts), text)
        elif metric.type == "derived":
            inputs = [{k: v for k, v in item.items() if v not in (None, [], {})} for item in params.get("metrics") or []]
            components["expression"] = (_json([metric.expr, inputs]), str(metric.expr))
        elif metric.type == "conversion":
            components["expression"] = (_json(params.get("conversion_type_params")), metric.definition())
        text = " and ".join(_readable_template(f) for f in filters)
        components["filter"] = ("\n".join(sorted(" ".join(f.split()) for f in filters)), text or "(none)")
    return components


def _readable(side: SideAnalysis, expression: exp.Expression, canonical_form: bool = False,
              names: dict[str, str] | None = None) -> str:
    """SQL with each column's relation named by its model, not its unique id (`names` renames
    some: a base expression reads a renamed parent by its head name)."""
    copy = expression.copy()
    for column in copy.find_all(exp.Column):
        node = side.shared.project.nodes.get(column.table)
        if node is not None:
            column.set("table", exp.to_identifier((names or {}).get(column.table, node.name)))
    if canonical_form:
        return canonical(copy)
    return copy.sql(dialect=side.shared.dialect)


def _readable_template(template: str) -> str:
    text = re.sub(r"\{\{\s*(?:Dimension|TimeDimension|Entity)\(\s*['\"]([^'\"]+)['\"][^}]*\}\}",
                  lambda m: m.group(1).rpartition("__")[2], template)
    return " ".join(text.split())


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _signature(side: SideAnalysis, name: str) -> str | None:
    metric = side.shared.semantic.metrics.get(name)
    if metric is None:
        return None
    signature = metric_signature(metric, side.shared.semantic, side.shared.lineage)
    for unique_id, node in side.shared.project.nodes.items():  # name relations by model
        signature = signature.replace(f'"{unique_id}"', node.name).replace(unique_id, node.name)
    return signature


# --- columns ---------------------------------------------------------------------------------------


def column_changes(base: SideAnalysis, head: SideAnalysis, changes: Changes) -> list[ColumnChange]:
    """Output columns of each changed model, base against head, by their lineage expressions."""
    reverse = {new: old for old, new in changes.renames.items()}
    found: list[ColumnChange] = []
    for node in changes.nodes:
        if node.resource_type != "model" or node.change == "added":
            continue  # a new model: every column is new, nothing to compare
        old_id = node.unique_id if node.change == "removed" else reverse.get(node.unique_id, node.unique_id)
        new_id = None if node.change == "removed" else node.unique_id
        if old_id not in base.shared.project.nodes:
            continue

        def change(column: str, kind: str, before=None, after=None, renamed_from=None) -> ColumnChange:
            return ColumnChange(node.name, column, kind, before, after, renamed_from, old_id, new_id)

        names = {old: head.shared.project.nodes[new].name for old, new in changes.renames.items()
                 if new in head.shared.project.nodes}
        before = {name: _normalise(base, expr, names) for name, expr in _columns(base, old_id).items()}
        if new_id is None:
            found += [change(name, "removed", before[name]) for name in sorted(before)]
            continue
        after = {name: _normalise(head, expr, {}) for name, expr in _columns(head, new_id).items()}
        node.sql = _same_sql(base, head, old_id, new_id)
        removed = [c for c in before if c not in after]
        added = [c for c in after if c not in before]
        renamed = {}
        for old in removed:
            match = next((new for new in added if new not in renamed.values()
                          and before[old] is not None and after[new] == before[old]), None)
            if match:
                renamed[old] = match
        for old, new in renamed.items():
            found.append(change(new, "renamed", before[old], after[new], renamed_from=old))
        for name in removed:
            if name not in renamed:
                found.append(change(name, "removed", before[name]))
        for name in added:
            if name not in renamed.values():
                found.append(change(name, "added", None, after[name]))
        for name in before:
            if name in after and before[name] is not None and after[name] is not None and before[name] != after[name]:
                found.append(change(name, "changed", before[name], after[name]))
    order = {"removed": 0, "renamed": 1, "changed": 2, "added": 3}
    return sorted(found, key=lambda c: (c.model, order[c.change], c.column))


def _same_sql(base: SideAnalysis, head: SideAnalysis, old_id: str, new_id: str) -> str | None:
    """'same' when both sides' parsed queries are equal without comments (a layout or comment
    edit), 'changed' when they differ, None when either could not be parsed."""
    before, after = base.shared.model_analyses.get(old_id), head.shared.model_analyses.get(new_id)
    if before is None or after is None or before.tree is None or after.tree is None:
        return None
    text = [analysis.tree.sql(dialect=side.shared.dialect, comments=False)
            for analysis, side in ((before, base), (after, head))]
    return "same" if text[0] == text[1] else "changed"


def _columns(side: SideAnalysis, unique_id: str) -> dict[str, exp.Expression | None]:
    """Output columns from lineage, else the columns the YAML declares (no expressions)."""
    columns = side.shared.lineage.columns_of(unique_id)
    if columns:
        return dict(columns)
    node = side.shared.project.nodes.get(unique_id)
    return {name: None for name in (node.columns if node else {})}


def _normalise(side: SideAnalysis, expression: exp.Expression | None, names: dict[str, str]) -> str | None:
    if expression is None:
        return None
    return _readable(side, expression, names=names)


def _follow_columns(base: SideAnalysis, head: SideAnalysis, changes: Changes) -> None:
    """From each changed column to the columns, metrics and tiles that read it."""
    downstream: set[str] = set()
    metrics: set[str] = set()
    tiles: set[str] = set()
    for column in changes.columns:
        if column.change == "added":
            continue
        # a removed or renamed column is followed in base, where it still exists
        on_base = column.change in ("removed", "renamed") or column.head_model_id is None
        side = base if on_base else head
        name = column.renamed_from or column.column
        model_id = column.base_model_id if on_base else column.head_model_id
        if model_id is None:
            continue
        key = (model_id, name)
        keys = {key} | side.impact.downstream_columns(key)
        downstream |= {side.impact.label(k) for k in keys - {key}}
        for k in keys:
            for metric in side.impact.metrics_reading(k):
                metrics.add(metric.name)
                metrics |= {m.name for m in side.impact.metrics_built_on(metric)}
            tiles |= {str(t) for t in side.impact.tiles_reading(k)}
    metrics |= set(changes.metrics_by_definition)
    for name in list(metrics):
        metric = head.shared.semantic.metrics.get(name)
        if metric is not None:
            metrics |= {m.name for m in head.impact.metrics_built_on(metric)}
            tiles |= {str(t) for t in head.impact.tiles_showing(metric)}
    changes.downstream_columns = sorted(downstream)
    changes.metrics_by_column = sorted(metrics - set(changes.metrics_by_definition))
    changes.tiles = sorted(tiles)
