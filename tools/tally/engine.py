"""Build the analysis once, run every enabled rule over it, apply severities and suppressions.

The command-line layer calls `check`; `review` reuses `build_shared` and `check` on its own
inputs. Nothing here prints.

With `workers` > 1 the work spreads over processes forked from this one (they inherit the
analysis already built, nothing is pickled but their results): a side worker runs, beside the
models' main analysis (serial, since each model's columns feed the next), what needs none of
its results: the portability check and the project rules that read only the manifest or the
models as parsed (see `Needs`). The per-query phase (analysing dashboards, running query rules,
summarising definitions for cross-query rules) is then split between the workers. Results are
identical to a single process; small inputs stay in one process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from dataclasses import dataclass, field
from typing import Sequence

from tally.analysis import aggregates, joins, portability, query
from tally.analysis.conformance import Comparer
from tally.analysis.lineage import ProjectLineage
from tally.analysis.schema import UNKNOWN_TYPE, ProjectSchema
from tally.analysis.semantic import SemanticLayer
from tally.analysis.signatures import definitions_of
from tally.config import Config
from tally.context import CollectionContext, ProjectContext, QueryContext
from tally.findings import Finding, Location, Severity
from tally.inputs.artifacts import Artifacts
from tally.inputs.collect import node_unit
from tally.inputs.project import Project
from tally.inputs.units import MODEL, SqlUnit
from tally.rules.base import DASHBOARD_KINDS, Needs, Rule, Scope
from tally.rules.registry import RULES
from tally import suppressions

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # tally reports problems as findings

# The analysis every query goes through, in order (see tally.analysis.query).
STEPS = (
    query.parse,
    query.resolve_relations,
    query.qualify_columns,
    query.scopes,
    aggregates.extract_aggregates,
    joins.extract_joins,
    portability.check_portability,
)
STEPS_WITHOUT_PORTABILITY = tuple(step for step in STEPS if step is not portability.check_portability)

# Below this many units a second process costs more than it saves.
PARALLEL_MIN_UNITS = 200


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def _fork_context():
    try:
        return multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: stay in one process
        return None


# What forked workers read: set just before the fork, inherited by the children.
_FORKED: dict = {}

SQLGLOT_DIALECTS = {
    "duckdb": "duckdb", "postgres": "postgres", "redshift": "redshift", "snowflake": "snowflake",
    "bigquery": "bigquery", "spark": "spark", "databricks": "databricks", "trino": "trino",
    "athena": "athena", "clickhouse": "clickhouse", "sqlite": "sqlite", "mysql": "mysql",
    "fabric": "tsql", "sqlserver": "tsql", "synapse": "tsql", "oracle": "oracle",
}


@dataclass
class CheckResult:
    findings: list[Finding]
    units_checked: int
    rules_run: int
    suppressed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == Severity.ERROR for f in self.findings)


def dialect_for(config: Config, project: Project) -> str:
    return config.dialect or SQLGLOT_DIALECTS.get(project.adapter_type, project.adapter_type)


def build_shared(artifacts: Artifacts, config: Config, workers: int = 1,
                 rules: Sequence[Rule] = ()) -> ProjectContext:
    """Parse and resolve the whole project once: models, lineage, semantic layer.

    With workers, the project rules among `rules` that need no qualified model run in the side
    worker; their findings wait in `early_findings` for `check`.
    """
    project = Project(artifacts.manifest, config, artifacts.catalog, artifacts.semantic_manifest)
    dialect = dialect_for(config, project)
    schema = ProjectSchema(project, dialect)
    models = [node for node in project.topological_models() if node.resource_type == "model"]
    units = [node_unit(project, node, MODEL) for node in models]
    early_rules = [rule for rule in rules if rule.scope is Scope.PROJECT and rule.needs is not Needs.ANALYSIS]

    pool, side_job, steps = None, None, STEPS
    context = _fork_context() if workers > 1 and len(units) >= PARALLEL_MIN_UNITS else None
    if context is not None:
        _FORKED["side"] = (project, schema, config, dialect, models, units, early_rules)
        pool = context.Pool(1)
        side_job = pool.apply_async(_side_work)
        steps = STEPS_WITHOUT_PORTABILITY

    model_analyses = {}
    model_units = {}
    early_findings: dict = {}
    try:
        for node, unit in zip(models, units):
            analysis = query.analyse(unit, schema, dialect, steps)
            model_analyses[node.unique_id] = analysis
            model_units[node.unique_id] = unit
            if analysis.output_columns and not _has_catalog_types(node):
                schema.add(node, {name: _declared_type(node, name) for name in analysis.output_columns})
        if side_job is not None:
            portabilities, early_findings = side_job.get()
            for node, problems in zip(models, portabilities):
                model_analyses[node.unique_id].portability = problems
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        _FORKED.pop("side", None)
    lineage = ProjectLineage(project, model_analyses, config.masking_functions)
    semantic = SemanticLayer(artifacts.semantic_manifest, project, dialect)
    return ProjectContext(
        project=project,
        semantic=semantic,
        lineage=lineage,
        config=config,
        schema=schema,
        comparer=Comparer(semantic, lineage),
        model_analyses=model_analyses,
        model_units=model_units,
        dialect=dialect,
        early_findings=early_findings,
    )


# What a model goes through for the rules that read it as parsed (Needs.PARSED).
PARSED_STEPS = (query.parse, query.resolve_relations)


def _side_work() -> tuple[list, dict]:
    """In the side worker: every model's portability problems, then the early project rules
    over the models parsed afresh (the schema they resolve tables with is complete at fork)."""
    project, schema, config, dialect, models, units, early_rules = _FORKED["side"]
    portabilities = [
        portability.portability_problems(unit, dialect, config.target_dialects, config.portable_functions)
        for unit in units
    ]
    if not early_rules:
        return portabilities, {}
    parsed = {}
    if any(rule.needs is Needs.PARSED for rule in early_rules):
        parsed = {node.unique_id: query.analyse(unit, schema, dialect, PARSED_STEPS) for node, unit in zip(models, units)}
    # Early rules read only the project, the configuration and the parsed models.
    early = ProjectContext(project=project, semantic=None, lineage=None, config=config, schema=schema,
                           comparer=None, model_analyses=parsed,
                           model_units={node.unique_id: unit for node, unit in zip(models, units)}, dialect=dialect)
    return portabilities, {_early_key(rule): list(rule.check_project(early)) for rule in early_rules}


def _early_key(rule: Rule) -> tuple[str, str]:
    return rule.code, rule.severity.value


def _has_catalog_types(node) -> bool:
    return bool(node.columns) and all(c.data_type for c in node.columns.values())


def _declared_type(node, name: str) -> str:
    column = node.columns.get(name)
    return (column.data_type if column and column.data_type else UNKNOWN_TYPE)


def enabled_rules(config: Config) -> list[Rule]:
    config.validate_codes({rule.code for rule in RULES})
    return [
        rule(severity=config.severity_for(rule.code, rule.default_severity))
        for rule in RULES
        if config.is_enabled(rule.code)
    ]


def check(shared: ProjectContext, dashboard_units: list[SqlUnit], model_units: list[SqlUnit],
          rules: list[Rule], run_project_rules: bool = True, workers: int = 1) -> CheckResult:
    tasks = [(unit, False) for unit in dashboard_units] + [(unit, True) for unit in model_units]
    project_rules = [rule for rule in rules if rule.scope is Scope.PROJECT] if run_project_rules else []
    context = _fork_context() if workers > 1 and len(tasks) >= PARALLEL_MIN_UNITS else None
    if context is None:
        findings, definitions = _check_units(shared, rules, tasks)
        findings += _project_findings(shared, project_rules)
    else:
        _FORKED["check"] = (shared, rules, tasks)
        try:
            chunks = [list(range(start, len(tasks), workers * 4)) for start in range(workers * 4)]
            with context.Pool(workers) as pool:
                pending = pool.map_async(_check_chunk, chunks)
                # the project rules read only the shared analysis: run them while the workers check
                project_findings = _project_findings(shared, project_rules)
                parts = pending.get()
        finally:
            _FORKED.pop("check", None)
        findings, definitions = [], []
        for chunk_findings, chunk_definitions in parts:
            findings += chunk_findings
            definitions += chunk_definitions
        findings += project_findings
    definitions.sort(key=lambda d: (d.location, d.query))  # one order, however the work was split

    for rule in rules:
        if rule.scope is Scope.COLLECTION:
            findings.extend(rule.check_collection(CollectionContext(definitions, shared)))

    findings, suppressed = _apply_suppressions(findings, [unit for unit, _ in tasks], {r.code for r in RULES})
    findings = _dedupe(findings)
    findings.sort(key=Finding.sort_key)
    return CheckResult(findings, len(tasks), len(rules), suppressed)


def _project_findings(shared: ProjectContext, project_rules: list[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    for rule in project_rules:
        early = shared.early_findings.get(_early_key(rule))
        findings += early if early is not None else rule.check_project(shared)
    return findings


def _check_chunk(indices: list[int]) -> tuple[list[Finding], list]:
    shared, rules, tasks = _FORKED["check"]
    return _check_units(shared, rules, [tasks[i] for i in indices])


def _check_units(shared: ProjectContext, rules: list[Rule], tasks) -> tuple[list[Finding], list]:
    """Analyse each unit (models reuse the shared analysis), run the query rules over it, and
    summarise its definitions for the cross-query rules."""
    findings: list[Finding] = []
    definitions: list = []
    query_rules = [rule for rule in rules if rule.scope is Scope.QUERY]
    wants_definitions = any(rule.scope is Scope.COLLECTION for rule in rules)
    for unit, is_model in tasks:
        ctx = QueryContext(unit, _analysis_of(shared, unit, is_model), shared)
        for rule in query_rules:
            if ctx.unit.kind in rule.applies_to:
                findings.extend(_tagged(rule.check_query(ctx), ctx.unit.subject))
        if wants_definitions and not is_model and unit.kind in DASHBOARD_KINDS:
            definitions += definitions_of(ctx)
    return findings, definitions


def _analysis_of(shared: ProjectContext, unit: SqlUnit, is_model: bool):
    if is_model and unit.node is not None:
        analysis = shared.model_analyses.get(unit.node.unique_id)
        if analysis is not None and (analysis.unit is unit or analysis.unit.sql == unit.sql):
            return analysis
    return query.analyse(unit, shared.schema, shared.dialect, STEPS)


def _tagged(findings, subject: str):
    for finding in findings:
        finding.subject = finding.subject or subject
        yield finding


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, unique = set(), []
    for finding in findings:
        key = (finding.code, finding.location, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def _apply_suppressions(findings: list[Finding], units: list[SqlUnit], known: set[str]) -> tuple[list[Finding], int]:
    found = [s for unit in units for s in suppressions.find(unit)]
    valid = []
    extra: list[Finding] = []
    for suppression in found:
        location = Location(suppression.path, suppression.line, suppression.col)
        unknown = [c for c in suppression.codes if c not in known and not any(k.startswith(c) for k in known)]
        if not suppression.codes or unknown:
            extra.append(Finding(
                "TL002",
                f"suppression names unknown code(s) {', '.join(unknown) or '(none)'}; see `tally rules`",
                location, Severity.ERROR, "suppression-of-unknown-rule"))
            continue
        if not suppression.reason:
            extra.append(Finding(
                "TL001",
                f"suppression of {', '.join(suppression.codes)} gives no reason; write "
                f"`-- tally: ignore[{','.join(suppression.codes)}] because <why this is right>`",
                location, Severity.ERROR, "suppression-without-reason"))
            continue
        valid.append(suppression)
    kept, suppressed = [], 0
    for finding in findings:
        if any(
            s.path == finding.location.path
            and s.covers_line(finding.location.line)
            and any(finding.code == c or finding.code.startswith(c) for c in s.codes)
            for s in valid
        ):
            suppressed += 1
            continue
        kept.append(finding)
    return kept + extra, suppressed
