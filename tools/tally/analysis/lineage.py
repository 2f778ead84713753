"""Column-level lineage across the whole project, built once from the models' analyses.

Each model's output column has an expression over its parents' columns (from the model's own
analysis). Chaining them gives, for any column:

* its direct inputs and outputs (for `tally lineage`),
* its *origin*: the expression it computes in terms of the furthest upstream columns, looking
  through renames, casts and row-level logic, and stopping at sources, seeds, aggregates and
  window functions. Two columns with the same origin mean the same thing, whatever their names
  (`dim_customers.is_test_account` and `fct_orders.is_test_account`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlglot import exp

from tally.analysis.expand import base_column, too_large
from tally.analysis.query import QueryAnalysis
from tally.inputs.project import Project

ColumnKey = tuple[str, str]  # (relation key, column)

STOP_NODES = (exp.AggFunc, exp.Window)


# How a downstream column uses an upstream one.
VALUE, MASKED, CONDITION = "value", "masked", "condition"


@dataclass(frozen=True)
class Edge:
    upstream: ColumnKey
    downstream: ColumnKey
    usage: str  # VALUE: the value flows on; MASKED: hashed or counted; CONDITION: only tested

    @property
    def masked(self) -> bool:
        return self.usage == MASKED

    @property
    def carries_value(self) -> bool:
        return self.usage == VALUE


class ProjectLineage:
    def __init__(self, project: Project, analyses: dict[str, QueryAnalysis], masking_functions: list[str]) -> None:
        self.project = project
        self.analyses = analyses
        self.masking = {name.lower() for name in masking_functions}
        self._columns: dict[str, dict[str, exp.Expression]] = {}
        for unique_id, analysis in analyses.items():
            self._columns[unique_id] = {p.alias: p.expanded for p in analysis.projections}
        self._origin_memo: dict[ColumnKey, exp.Expression] = {}
        self._in_progress: set[ColumnKey] = set()
        self.edges: list[Edge] = []
        self.upstream: dict[ColumnKey, list[Edge]] = defaultdict(list)
        self.downstream: dict[ColumnKey, list[Edge]] = defaultdict(list)
        self._build_edges()

    def columns_of(self, relation: str) -> dict[str, exp.Expression]:
        return self._columns.get(relation, {})

    def _build_edges(self) -> None:
        for relation, columns in self._columns.items():
            for name, expression in columns.items():
                target = (relation, name)
                usages: dict[ColumnKey, set[str]] = {}
                for column, usage in self.column_usages(expression):
                    key = (column.table.lower(), column.name.lower())
                    if key[0] == relation:
                        continue  # self-reference of an incremental model
                    usages.setdefault(key, set()).add(usage)
                for key, kinds in usages.items():
                    # the strongest use wins: a value flows on if any use passes it on
                    usage = VALUE if VALUE in kinds else CONDITION if CONDITION in kinds else MASKED
                    edge = Edge(key, target, usage)
                    self.edges.append(edge)
                    self.upstream[target].append(edge)
                    self.downstream[key].append(edge)

    def column_usages(self, root: exp.Expression) -> list[tuple[exp.Column, str]]:
        """Every column of an expression with what the expression does with it: VALUE (it flows
        on), MASKED (hashed or counted) or CONDITION (only tested; the output is a boolean).
        The innermost of these wrappers decides. One pass from the root down, so a long
        expression costs its size, not its size times its depth."""
        found: list[tuple[exp.Column, str]] = []
        stack: list[tuple[exp.Expression, str]] = [(root, VALUE)]
        while stack:
            node, usage = stack.pop()
            if isinstance(node, exp.Column):
                found.append((node, usage))
                continue
            name = _function_name(node)
            if name and (name in self.masking or any(name.startswith(m) for m in self.masking)):
                usage = MASKED
            elif isinstance(node, (exp.Count, exp.ApproxDistinct)):
                usage = MASKED  # a count of personal data is not personal data
            elif isinstance(node, exp.Predicate):
                usage = CONDITION  # only tested: the output holds a boolean, not the value
            for key, child in node.args.items():
                children = child if isinstance(child, list) else [child]
                for item in children:
                    if isinstance(item, exp.Expression):
                        inner = CONDITION if isinstance(node, exp.If) and key == "this" else usage
                        stack.append((item, inner))
        return found

    def origin(self, expression: exp.Expression) -> exp.Expression:
        """`expression` with each column replaced by its origin (see module docstring)."""
        copy = expression.copy()
        for column in list(copy.find_all(exp.Column)):
            replacement = self.column_origin((column.table.lower(), column.name.lower()))
            if column is copy:
                return replacement
            column.replace(replacement)
        return copy

    def column_origin(self, key: ColumnKey) -> exp.Expression:
        cached = self._origin_memo.get(key)
        if cached is not None:
            return cached.copy()
        relation, name = key
        definition = self._columns.get(relation, {}).get(name)
        result: exp.Expression
        if definition is None or key in self._in_progress or _stops(definition):
            result = base_column(relation, name)
        else:
            self._in_progress.add(key)
            try:
                result = self.origin(definition)
            finally:
                self._in_progress.discard(key)
            if too_large(result):
                result = base_column(relation, name)
        self._origin_memo[key] = result
        return result.copy()

    def walk(self, key: ColumnKey, direction: str) -> list[list[Edge]]:
        """Every path from a column, upstream or downstream, as lists of edges."""
        index = self.upstream if direction == "up" else self.downstream
        paths: list[list[Edge]] = []
        stack: list[tuple[ColumnKey, list[Edge]]] = [(key, [])]
        while stack:
            current, path = stack.pop()
            nexts = index.get(current, [])
            if not nexts and path:
                paths.append(path)
            for edge in nexts:
                following = edge.upstream if direction == "up" else edge.downstream
                if any(following in (e.upstream, e.downstream) for e in path) or len(path) > 50:
                    continue
                stack.append((following, path + [edge]))
        return paths


def _function_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return None


def _stops(expression: exp.Expression) -> bool:
    return any(isinstance(n, STOP_NODES) for n in expression.walk())


class PersonalData:
    """Which columns carry personal data, traced from the columns whose `meta` marks it.

    A column carries personal data when one of its inputs does and the value flows on: hashing,
    counting or only testing the value (`email like '%@x'`) stops the flow.
    """

    def __init__(self, project: Project, lineage: ProjectLineage, meta_keys: list[str]) -> None:
        self.lineage = lineage
        self.marked: set[ColumnKey] = set()
        for node in project.nodes.values():
            for column in node.columns.values():
                if any(column.meta.get(key) for key in meta_keys):
                    self.marked.add((node.unique_id, column.name))
        self._memo: dict[ColumnKey, frozenset[ColumnKey]] = {}

    def origins(self, key: ColumnKey) -> frozenset[ColumnKey]:
        """The marked columns whose values reach `key` unmasked."""
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = frozenset()  # cycle guard
        found = {key} if key in self.marked else set()
        for edge in self.lineage.upstream.get(key, []):
            if edge.carries_value:
                found |= self.origins(edge.upstream)
        result = frozenset(found)
        self._memo[key] = result
        return result

    def path(self, key: ColumnKey, origin: ColumnKey) -> list[ColumnKey]:
        """One chain of columns from `origin` to `key` along value-carrying edges."""
        stack: list[tuple[ColumnKey, list[ColumnKey]]] = [(key, [key])]
        seen = set()
        while stack:
            current, path = stack.pop()
            if current == origin:
                return list(reversed(path))
            if current in seen:
                continue
            seen.add(current)
            for edge in self.lineage.upstream.get(current, []):
                if edge.carries_value and origin in self.origins(edge.upstream):
                    stack.append((edge.upstream, path + [edge.upstream]))
        return [origin, key]
