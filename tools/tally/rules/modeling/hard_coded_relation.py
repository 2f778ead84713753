"""MD009: A model reads a table by name instead of through ref() or source()."""

from __future__ import annotations

import re
from typing import Iterable

from sqlglot import exp

from tally.context import ProjectContext
from tally.findings import Finding, Location
from tally.inputs.project import Node
from tally.inputs.units import SqlUnit
from tally.rules.base import Needs
from tally.rules.modeling.base import ManifestRule, reference_span, source_call

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def written_sql(raw: str) -> list[str]:
    """The lines of a model's raw code with Jinja and comments blanked out: what was typed as SQL.

    >>> [line.rstrip() for line in written_sql("select * from {{ ref('a') }} -- raw.b\\njoin raw.c")]
    ['select * from', 'join raw.c']
    """
    return _COMMENT.sub(_blank, _JINJA.sub(_blank, raw)).split("\n")


class HardCodedRelation(ManifestRule):
    """A model reads a table by name instead of through `ref()` or `source()`.

    What it does:
        Finds the tables a model reads that were typed into its SQL rather than produced by
        `ref()` or `source()`: names dbt does not know at all, and names of dbt relations
        written out by hand. CTEs, table functions (`read_parquet(...)`) and anything inside
        Jinja are not hard-coded.

    Why it matters:
        dbt builds and documents the DAG from `ref()` and `source()`. A hard-coded name is an
        edge dbt cannot see: the model may build before its input, reads production from a dev
        run, and lineage and impact analysis stop at it.

    Example:
        select * from raw_shop.orders
        join staging.stg_shop__customers using (customer_id)

    Use instead:
        select * from {{ source('shop', 'orders') }}
        join {{ ref('stg_shop__customers') }} using (customer_id)
    """

    code = "MD009"
    needs = Needs.PARSED  # the tables as written and resolved: qualification adds none
    name = "hard-coded-relation"
    family = "modeling"
    summary = "A model reads a table by name instead of through ref() or source()."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            analysis = ctx.model_analyses.get(node.unique_id)
            unit = ctx.model_units.get(node.unique_id)
            if analysis is None or unit is None or analysis.tree is None or self.excepted(ctx, node):
                continue
            written = written_sql(node.raw_code)
            tables = [t for t in analysis.tree.find_all(exp.Table) if "node" in t.meta]
            tables += analysis.unresolved_tables
            seen: set[Location] = set()
            for table in tables:
                found = self._typed(unit, written, table)
                if found is None or found[0] in seen:
                    continue
                location, text = found
                seen.add(location)
                known = ctx.project.nodes.get(table.meta.get("node", ""))
                yield self.finding(self._message(node, text, known), location,
                                   model=node.name, relation=text, node=known.unique_id if known else None)

    @staticmethod
    def _typed(unit: SqlUnit, written: list[str], table: exp.Table) -> tuple[Location, str] | None:
        """Where the reference stands in the model file, if it was typed there rather than rendered."""
        span = reference_span(unit.sql, table)
        if span is None:
            return None
        start, end = span
        text = unit.sql[start:end]
        line = unit.sql.count("\n", 0, start) + 1
        col = start - (unit.sql.rfind("\n", 0, start) + 1) + 1
        location = unit.location(line, col)
        if unit.line_map is None:
            return location, text
        if not 1 <= location.line <= len(written):
            return None
        pattern = r"(?<![\w.\"`\]])" + re.escape(text) + r"(?![\w\"`\[])"
        match = re.search(pattern, written[location.line - 1], re.IGNORECASE)
        if match is None:
            return None  # produced by ref(), source() or a macro
        return Location(location.path, location.line, match.start() + 1), text

    @staticmethod
    def _message(model: Node, text: str, known: Node | None) -> str:
        if known is None:
            return (f"{model.name} reads `{text}` by name, a table dbt does not know; declare it as a "
                    f"source and read it with {{{{ source('<source>', '<table>') }}}}")
        what = f"the {known.resource_type} {known.label}"
        return (f"{model.name} reads `{text}` ({what}) by name, so dbt does not see the dependency; "
                f"write {source_call(known)} instead")
