"""The shape every rule has.

A rule is a small class: a stable code, a name that reads as the anti-pattern it forbids, a
one-line summary, and a docstring with four parts (What it does / Why it matters / Example /
Use instead) that `tally rule CODE` prints. Its `check` receives context that is already parsed
and resolved and yields findings. Rules do no I/O and walk no trees of their own beyond the
analysis they are handed.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, Iterable

from tally.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from tally.context import CollectionContext, ProjectContext, QueryContext


class Scope(str, Enum):
    QUERY = "query"  # called once per SQL unit (board query, analysis, file, model)
    PROJECT = "project"  # called once with the dbt project
    COLLECTION = "collection"  # called once with every query, to compare them


class Needs(str, Enum):
    """How much of the project's analysis a project rule reads, so the engine can run it early.

    A rule that needs only the manifest, or each model parsed with its tables resolved, can run
    in a worker beside the (serial) qualification of the models instead of after it.
    """

    PROJECT = "project"  # the manifest's graph, the project's files and the configuration
    PARSED = "parsed"  # plus each model's SQL parsed, its tables resolved to nodes (not qualified)
    ANALYSIS = "analysis"  # everything: qualified models, lineage, the semantic layer


# Kinds of SQL unit a query rule can apply to.
DASHBOARD_KINDS = frozenset({"board", "analysis", "sql", "stdin"})
ALL_KINDS = DASHBOARD_KINDS | {"model"}


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    family: ClassVar[str]
    summary: ClassVar[str]
    scope: ClassVar[Scope] = Scope.QUERY
    default_severity: ClassVar[Severity] = Severity.ERROR
    applies_to: ClassVar[frozenset[str]] = ALL_KINDS
    needs: ClassVar[Needs] = Needs.ANALYSIS  # project rules only; see Needs

    def __init__(self, severity: Severity | None = None, options: dict | None = None) -> None:
        self.severity = severity or self.default_severity
        self.options = options or {}

    # Subclasses implement the one matching their scope.
    def check_query(self, ctx: "QueryContext") -> Iterable[Finding]:
        return ()

    def check_project(self, ctx: "ProjectContext") -> Iterable[Finding]:
        return ()

    def check_collection(self, ctx: "CollectionContext") -> Iterable[Finding]:
        return ()

    def finding(self, message: str, location: Location, **details) -> Finding:
        return Finding(
            code=self.code,
            message=message,
            location=location,
            severity=self.severity,
            rule_name=self.name,
            details=details,
        )

    @classmethod
    def documentation(cls) -> dict[str, str]:
        """The docstring split into its sections."""
        doc = inspect.cleandoc(cls.__doc__ or "")
        sections: dict[str, str] = {}
        current = "summary"
        lines: list[str] = []
        for line in doc.splitlines():
            header = re.fullmatch(r"(What it does|Why it matters|Example|Use instead):?", line.strip())
            if header:
                sections[current] = textwrap.dedent("\n".join(lines)).strip()
                current, lines = header.group(1), []
            else:
                lines.append(line)
        sections[current] = textwrap.dedent("\n".join(lines)).strip()
        return sections
