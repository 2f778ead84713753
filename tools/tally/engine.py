"""Build the analysis once, run every enabled rule over it, apply severities and suppressions.

The command-line layer calls `check`; `review` reuses `build_shared` and `check` on its own
inputs. Nothing here prints.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tally.analysis import aggregates, joins, portability, query
from tally.analysis.conformance import Comparer
from tally.analysis.lineage import ProjectLineage
from tally.analysis.schema import UNKNOWN_TYPE, ProjectSchema
from tally.analysis.semantic import SemanticLayer
from tally.config import Config
from tally.context import CollectionContext, ProjectContext, QueryContext
from tally.findings import Finding, Location, Severity
from tally.inputs.artifacts import Artifacts
from tally.inputs.collect import node_unit
from tally.inputs.project import Project
from tally.inputs.units import MODEL, SqlUnit
from tally.rules.base import Rule, Scope
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


def build_shared(artifacts: Artifacts, config: Config) -> ProjectContext:
    """Parse and resolve the whole project once: models, lineage, semantic layer."""
    project = Project(artifacts.manifest, config, artifacts.catalog, artifacts.semantic_manifest)
    dialect = dialect_for(config, project)
    schema = ProjectSchema(project, dialect)
    model_analyses = {}
    model_units = {}
    for node in project.topological_models():
        if node.resource_type != "model":
            continue
        unit = node_unit(project, node, MODEL)
        analysis = query.analyse(unit, schema, dialect, STEPS)
        model_analyses[node.unique_id] = analysis
        model_units[node.unique_id] = unit
        if analysis.output_columns and not _has_catalog_types(node):
            schema.add(node, {name: _declared_type(node, name) for name in analysis.output_columns})
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
    )


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
          rules: list[Rule], run_project_rules: bool = True) -> CheckResult:
    dialect = shared.dialect
    contexts: list[QueryContext] = []
    for unit in dashboard_units:
        analysis = query.analyse(unit, shared.schema, dialect, STEPS)
        contexts.append(QueryContext(unit, analysis, shared))
    for unit in model_units:
        node_id = unit.node.unique_id if unit.node is not None else None
        analysis = shared.model_analyses.get(node_id) if node_id else None
        if analysis is None or analysis.unit is not unit and analysis.unit.sql != unit.sql:
            analysis = query.analyse(unit, shared.schema, dialect, STEPS)
        contexts.append(QueryContext(analysis.unit, analysis, shared))

    findings: list[Finding] = []
    for rule in rules:
        if rule.scope is Scope.QUERY:
            for ctx in contexts:
                if ctx.unit.kind in rule.applies_to:
                    findings.extend(_tagged(rule.check_query(ctx), ctx.unit.subject))
        elif rule.scope is Scope.PROJECT and run_project_rules:
            findings.extend(rule.check_project(shared))
        elif rule.scope is Scope.COLLECTION:
            findings.extend(rule.check_collection(CollectionContext(contexts, shared)))

    findings, suppressed = _apply_suppressions(findings, [c.unit for c in contexts], {r.code for r in RULES})
    findings = _dedupe(findings)
    findings.sort(key=Finding.sort_key)
    return CheckResult(findings, len(contexts), len(rules), suppressed)


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
