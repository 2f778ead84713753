"""Column schemas for qualification, and the mapping from SQL table names to dbt nodes.

Columns come from, in order: the catalog (real types), the YAML (declared columns), and what
tally inferred from the node's own SQL when it analysed it. Tables are registered under their
full three-part name; before qualifying, every table reference in a query is rewritten to that
full name, so `marts.fct_orders`, `fct_orders` and `"db"."marts"."fct_orders"` all resolve.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.schema import MappingSchema

from tally.inputs.project import Node, Project, normalize_relation

UNKNOWN_TYPE = "UNKNOWN"
DEFAULT_DATABASE = "__db__"


class ProjectSchema:
    """A MappingSchema over the project's relations, grown as models are analysed."""

    def __init__(self, project: Project, dialect: str) -> None:
        self.project = project
        self.dialect = dialect
        self.mapping = MappingSchema(dialect=dialect, normalize=False)
        self._parts: dict[str, tuple[str, str, str]] = {}
        self._external: dict[str, Node] = {}
        for node in project.nodes.values():
            if node.resource_type not in ("model", "seed", "snapshot", "source"):
                continue
            database, schema, identifier = project.relation_parts(node)
            parts = ((database or DEFAULT_DATABASE).lower(), (schema or "main").lower(), identifier.lower())
            self._parts[node.unique_id] = parts
            if node.columns:
                self.add(node, {name: col.data_type or UNKNOWN_TYPE for name, col in node.columns.items()})
            if node.relation_name and "(" in node.relation_name:
                # dbt-duckdb external sources compile to read_parquet(...): remember the call
                self._external[_normalize_call(node.relation_name, dialect)] = node

    def add(self, node: Node, columns: dict[str, str]) -> None:
        """Register (or replace) the columns of a node's relation."""
        database, schema, identifier = self._parts[node.unique_id]
        types = {name.lower(): (dtype or UNKNOWN_TYPE) for name, dtype in columns.items()}
        try:
            self.mapping.add_table(exp.table_(identifier, db=schema, catalog=database), types,
                                   dialect=self.dialect)
        except Exception:  # a type sqlglot cannot parse: keep the names, drop the types
            self.mapping.add_table(exp.table_(identifier, db=schema, catalog=database),
                                   {name: UNKNOWN_TYPE for name in types}, dialect=self.dialect)

    def has_columns(self, node: Node) -> bool:
        database, schema, identifier = self._parts[node.unique_id]
        try:
            return bool(self.mapping.column_names(exp.table_(identifier, db=schema, catalog=database)))
        except Exception:
            return False

    def resolve_tables(self, tree: exp.Expression) -> dict[str, Node]:
        """Rewrite table references to full names; return {relation key: node} of those found.

        The relation key of a resolved table is its node's unique_id; it is stored on the
        Table expression as meta['node'] for later steps.
        """
        found: dict[str, Node] = {}
        cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for table in list(tree.find_all(exp.Table)):
            node = None
            if isinstance(table.this, exp.Func) or isinstance(table.this, exp.Anonymous):
                node = self._external.get(_normalize_call(table.this.sql(dialect=self.dialect), self.dialect))
            elif table.name and not (not table.db and table.name.lower() in cte_names):
                node = self.project.resolve_relation(".".join(p for p in (table.catalog, table.db, table.name) if p))
            if node is None or node.unique_id not in self._parts:
                continue
            database, schema, identifier = self._parts[node.unique_id]
            alias = table.alias or identifier
            replacement = exp.table_(identifier, db=schema, catalog=database, alias=alias)
            replacement.meta["node"] = node.unique_id
            replacement.meta.update({k: v for k, v in table.meta.items() if k != "node"})
            if table.this is not None and hasattr(table.this, "meta"):
                replacement.this.meta.update(table.this.meta)
            table.replace(replacement)
            found[node.unique_id] = node
        return found


def _normalize_call(sql: str, dialect: str) -> str:
    try:
        return sqlglot.parse_one(sql, dialect=dialect).sql(dialect=dialect).lower()
    except Exception:
        return normalize_relation(sql)
