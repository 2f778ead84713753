"""What rules receive: everything already parsed, resolved and compared, built once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from tally.analysis.conformance import Comparer, MetricComparison
from tally.analysis.lineage import PersonalData, ProjectLineage
from tally.analysis.query import QueryAnalysis
from tally.analysis.semantic import SemanticLayer
from tally.analysis.schema import ProjectSchema
from tally.config import Config
from tally.findings import Location
from tally.inputs.project import Project
from tally.inputs.units import SqlUnit


@dataclass
class ProjectContext:
    project: Project
    semantic: SemanticLayer
    lineage: ProjectLineage
    config: Config
    schema: ProjectSchema
    comparer: Comparer
    model_analyses: dict[str, QueryAnalysis] = field(default_factory=dict)
    model_units: dict[str, SqlUnit] = field(default_factory=dict)
    dialect: str = "duckdb"
    # Findings of project rules already run in a worker, by (code, severity); see engine.build_shared.
    early_findings: dict[tuple[str, str], list] = field(default_factory=dict)

    def node_location(self, unique_id: str) -> Location:
        """A node's own file: its SQL for models, its YAML for sources."""
        node = self.project.nodes[unique_id]
        if node.resource_type == "source":
            return Location(node.path, self.project.yaml_line(node.path, node.name))
        return Location(node.path or node.unique_id, 1)

    def yaml_location(self, unique_id: str) -> Location:
        node = self.project.nodes[unique_id]
        path, line = self.project.definition_location(node)
        return Location(path or node.path, line)

    def exception(self, code: str, node_name: str) -> str | None:
        return self.config.exception_reason(code, node_name)

    @cached_property
    def personal_data(self) -> PersonalData:
        return PersonalData(self.project, self.lineage, self.config.pii_meta_keys)

    def column_label(self, key: tuple[str, str]) -> str:
        node = self.project.nodes.get(key[0])
        return f"{node.label}.{key[1]}" if node else f"{key[0]}.{key[1]}"


@dataclass
class QueryContext:
    unit: SqlUnit
    analysis: QueryAnalysis
    shared: ProjectContext

    @property
    def project(self) -> Project:
        return self.shared.project

    @property
    def semantic(self) -> SemanticLayer:
        return self.shared.semantic

    @property
    def lineage(self) -> ProjectLineage:
        return self.shared.lineage

    @property
    def config(self) -> Config:
        return self.shared.config

    @cached_property
    def comparisons(self) -> list[MetricComparison]:
        """Each aggregate output compared with its metric; shared by every MC rule."""
        return self.shared.comparer.compare_query(self.analysis)

    def location(self, position: tuple[int, int]) -> Location:
        return self.unit.location(*position)


@dataclass
class CollectionContext:
    """What rules comparing queries with each other receive: every dashboard query's
    aggregate columns as Definitions (see tally.analysis.signatures)."""

    definitions: list  # list[Definition]
    shared: ProjectContext
