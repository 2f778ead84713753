"""The dbt project as tally sees it: nodes, their graph, layers, keys and relation names.

Built once from the manifest (and catalog), then read by every rule. Works on any dbt project:
nothing here knows Tally's own model names.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

from tally.config import Config

UNIQUENESS_TESTS = {"unique"}
PK_COMPANION_TESTS = {"not_null"}
MULTI_COLUMN_UNIQUE_TESTS = {"unique_combination_of_columns"}


@dataclass
class Column:
    name: str
    description: str = ""
    data_type: str | None = None
    meta: dict = field(default_factory=dict)
    tests: set[str] = field(default_factory=set)
    constraints: set[str] = field(default_factory=set)


@dataclass
class Node:
    """A model, seed, snapshot, source table, analysis or exposure."""

    unique_id: str
    name: str
    resource_type: str
    path: str  # file path relative to the project root ('' when unknown)
    package: str = ""
    description: str = ""
    relation_name: str | None = None
    database: str | None = None
    schema: str | None = None
    alias: str | None = None
    materialized: str | None = None
    access: str | None = None
    contract_enforced: bool = False
    columns: dict[str, Column] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    raw_code: str = ""
    compiled_code: str | None = None
    meta: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    has_freshness: bool = False
    source_name: str | None = None  # for source tables
    patch_path: str | None = None  # the YAML that documents a model
    version: str | int | None = None
    latest_version: str | int | None = None
    unique_column_sets: list[tuple[str, ...]] = field(default_factory=list)
    is_root_project: bool = True

    @property
    def label(self) -> str:
        if self.resource_type == "source":
            return f"{self.source_name}.{self.name}"
        return self.name

    @property
    def is_public(self) -> bool:
        return self.access == "public"

    @property
    def primary_key(self) -> tuple[str, ...] | None:
        """The narrowest column set proven unique (unique tests, constraints, entities)."""
        if not self.unique_column_sets:
            return None
        return min(self.unique_column_sets, key=len)


def normalize_relation(name: str) -> str:
    """'"db"."Marts"."fct_orders"' -> 'db.marts.fct_orders'."""
    return ".".join(part.strip('"`[]').lower() for part in name.split("."))


class Project:
    """Index over the manifest. Rules ask it questions; it never reads files."""

    def __init__(self, manifest: dict, config: Config, catalog: dict | None = None,
                 semantic_manifest: dict | None = None) -> None:
        self.manifest = manifest
        self.config = config
        self.catalog = catalog or {}
        self.semantic_manifest = semantic_manifest or {}
        metadata = manifest.get("metadata", {})
        self.adapter_type: str = metadata.get("adapter_type") or "duckdb"
        self.project_name: str = metadata.get("project_name") or ""
        self.nodes: dict[str, Node] = {}
        self.tests: list[dict] = []
        self._load()

    # --- loading ---------------------------------------------------------------------------

    def _load(self) -> None:
        root_package = self.project_name
        for unique_id, raw in self.manifest.get("nodes", {}).items():
            resource_type = raw.get("resource_type")
            if resource_type == "test":
                self.tests.append(raw)
                continue
            if resource_type not in ("model", "seed", "snapshot", "analysis"):
                continue
            self.nodes[unique_id] = self._node_from(unique_id, raw, root_package)
        for unique_id, raw in self.manifest.get("sources", {}).items():
            node = self._node_from(unique_id, raw, root_package)
            node.source_name = raw.get("source_name")
            freshness = raw.get("freshness") or {}
            node.has_freshness = bool(
                (freshness.get("warn_after") or {}).get("count")
                or (freshness.get("error_after") or {}).get("count")
            )
            self.nodes[unique_id] = node
        for unique_id, raw in self.manifest.get("exposures", {}).items():
            self.nodes[unique_id] = self._node_from(unique_id, raw, root_package)
        self._attach_tests()
        self._attach_catalog()
        self._attach_semantic_entities()

    def _node_from(self, unique_id: str, raw: dict, root_package: str) -> Node:
        config = raw.get("config") or {}
        contract = config.get("contract") or raw.get("contract") or {}
        columns = {}
        for name, col in (raw.get("columns") or {}).items():
            col_meta = {**(col.get("meta") or {}), **((col.get("config") or {}).get("meta") or {})}
            constraints = {c.get("type") for c in col.get("constraints") or [] if c.get("type")}
            columns[name.lower()] = Column(
                name=name.lower(),
                description=col.get("description") or "",
                data_type=col.get("data_type"),
                meta=col_meta,
                constraints=constraints,
            )
        node = Node(
            unique_id=unique_id,
            name=raw.get("name", unique_id.split(".")[-1]),
            resource_type=raw.get("resource_type", unique_id.split(".")[0]),
            path=raw.get("original_file_path") or "",
            package=raw.get("package_name", ""),
            description=raw.get("description") or "",
            relation_name=raw.get("relation_name"),
            database=raw.get("database"),
            schema=raw.get("schema"),
            alias=raw.get("alias") or raw.get("identifier") or raw.get("name"),
            materialized=config.get("materialized"),
            access=raw.get("access") or config.get("access"),
            contract_enforced=bool(contract.get("enforced")),
            columns=columns,
            depends_on=list((raw.get("depends_on") or {}).get("nodes") or []),
            raw_code=raw.get("raw_code") or raw.get("raw_sql") or "",
            compiled_code=raw.get("compiled_code") or raw.get("compiled_sql"),
            meta={**(raw.get("meta") or {}), **(config.get("meta") or {})},
            tags=list(raw.get("tags") or []),
            patch_path=raw.get("patch_path"),
            version=raw.get("version"),
            latest_version=raw.get("latest_version"),
            is_root_project=(raw.get("package_name", "") == root_package) if root_package else True,
        )
        for constraint in raw.get("constraints") or []:
            if constraint.get("type") in ("primary_key", "unique") and constraint.get("columns"):
                node.unique_column_sets.append(tuple(c.lower() for c in constraint["columns"]))
        for col in node.columns.values():
            if col.constraints & {"primary_key", "unique"}:
                node.unique_column_sets.append((col.name,))
        return node

    def _attach_tests(self) -> None:
        for test in self.tests:
            metadata = test.get("test_metadata") or {}
            test_name = metadata.get("name")
            if not test_name:
                continue
            kwargs = metadata.get("kwargs") or {}
            node = self.nodes.get(test.get("attached_node") or "") or self._tested_node(kwargs.get("model", ""))
            if node is None:
                continue
            column = (test.get("column_name") or "").lower()
            if column and column in node.columns:
                node.columns[column].tests.add(test_name)
            elif column:
                node.columns[column] = Column(name=column, tests={test_name})
            if test_name in UNIQUENESS_TESTS and column:
                node.unique_column_sets.append((column,))
            if test_name in MULTI_COLUMN_UNIQUE_TESTS:
                cols = kwargs.get("combination_of_columns") or []
                if cols:
                    node.unique_column_sets.append(tuple(c.lower() for c in cols))

    def _tested_node(self, model_argument: str) -> Node | None:
        """The node a generic test is attached to, from its `model` argument (source tests
        have no attached_node)."""
        found = re.search(r"source\(\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]", model_argument)
        if found:
            source_name, table = found.groups()
            return next(
                (n for n in self.nodes.values()
                 if n.resource_type == "source" and n.source_name == source_name and n.name == table),
                None,
            )
        found = re.search(r"ref\(\s*['\"]([^'\"]+)['\"]", model_argument)
        return self.by_name(found.group(1)) if found else None

    def _attach_catalog(self) -> None:
        for section in ("nodes", "sources"):
            for unique_id, entry in (self.catalog.get(section) or {}).items():
                node = self.nodes.get(unique_id)
                if node is None:
                    continue
                for name, col in (entry.get("columns") or {}).items():
                    key = name.lower()
                    if key in node.columns:
                        node.columns[key].data_type = node.columns[key].data_type or col.get("type")
                    else:
                        node.columns[key] = Column(name=key, data_type=col.get("type"))

    def _attach_semantic_entities(self) -> None:
        """A semantic model's primary entity is a key of its model too."""
        by_ref = {n.name: n for n in self.nodes.values() if n.resource_type == "model"}
        for sm in self.semantic_manifest.get("semantic_models", []):
            node_ref = (sm.get("node_relation") or {}).get("alias")
            node = by_ref.get(node_ref or "")
            if node is None:
                continue
            for entity in sm.get("entities", []):
                if entity.get("type") == "primary":
                    node.unique_column_sets.append(((entity.get("expr") or entity["name"]).lower(),))

    # --- where things are defined ------------------------------------------------------------

    def yaml_line(self, path: str, name: str) -> int:
        """1-based line of `name: <name>` in a project YAML file (1 when not found)."""
        if not path or not name:
            return 1
        lines = self._file_lines(path)
        pattern = re.compile(r"^\s*-?\s*name:\s*['\"]?" + re.escape(name) + r"['\"]?\s*$")
        for number, line in enumerate(lines, start=1):
            if pattern.match(line):
                return number
        return 1

    def _file_lines(self, path: str) -> list[str]:
        cache = self.__dict__.setdefault("_lines_cache", {})
        if path not in cache:
            try:
                text = (self.config.project_dir / path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            cache[path] = text.splitlines()
        return cache[path]

    def definition_location(self, node: Node) -> tuple[str, int]:
        """Where a node is documented (its YAML), else its SQL file."""
        if node.patch_path:
            path = node.patch_path.split("://", 1)[-1]
            return path, self.yaml_line(path, node.name)
        return node.path, 1

    # --- graph -----------------------------------------------------------------------------

    @cached_property
    def children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = defaultdict(list)
        for node in self.nodes.values():
            for parent in node.depends_on:
                children[parent].append(node.unique_id)
        return children

    def parents(self, unique_id: str) -> list[Node]:
        node = self.nodes.get(unique_id)
        if node is None:
            return []
        return [self.nodes[p] for p in node.depends_on if p in self.nodes]

    def models(self, root_only: bool = True) -> list[Node]:
        return [
            n for n in self.nodes.values()
            if n.resource_type == "model" and (n.is_root_project or not root_only)
        ]

    def sources(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.resource_type == "source"]

    def by_name(self, name: str) -> Node | None:
        return self._by_name.get(name.lower())

    @cached_property
    def _by_name(self) -> dict[str, Node]:
        index: dict[str, Node] = {}
        for node in self.nodes.values():
            if node.resource_type in ("model", "seed", "snapshot"):
                index.setdefault(node.name.lower(), node)
        return index

    def topological_models(self) -> list[Node]:
        """Models, seeds and snapshots with every parent before its children."""
        order: list[Node] = []
        state: dict[str, int] = {}
        relevant = {u: n for u, n in self.nodes.items() if n.resource_type in ("model", "seed", "snapshot")}

        def visit(uid: str) -> None:
            stack = [(uid, iter(relevant[uid].depends_on))]
            state[uid] = 1
            while stack:
                current, parents = stack[-1]
                advanced = False
                for parent in parents:
                    if parent in relevant and state.get(parent) is None:
                        state[parent] = 1
                        stack.append((parent, iter(relevant[parent].depends_on)))
                        advanced = True
                        break
                if not advanced:
                    stack.pop()
                    state[current] = 2
                    order.append(relevant[current])

        for uid in sorted(relevant):
            if state.get(uid) is None:
                visit(uid)
        return order

    # --- layers ----------------------------------------------------------------------------

    def layer_of(self, node: Node) -> str | None:
        """staging, intermediate, marts (or any configured layer), by name prefix then folder."""
        if node.resource_type != "model":
            return None
        for layer in self.config.layers.values():
            if any(node.name.startswith(prefix) for prefix in layer.prefixes):
                return layer.name
        folders = PurePosixPath(node.path).parts[:-1]
        for layer in self.config.layers.values():
            if any(folder in folders for folder in layer.folders):
                return layer.name
        return None

    # --- relations -------------------------------------------------------------------------

    @cached_property
    def _relations(self) -> dict[str, Node]:
        index: dict[str, Node] = {}
        ambiguous: set[str] = set()
        for node in self.nodes.values():
            if node.resource_type not in ("model", "seed", "snapshot", "source"):
                continue
            names = set()
            if node.relation_name:
                full = normalize_relation(node.relation_name)
                names.add(full)
                parts = full.split(".")
                names.add(".".join(parts[-2:]))
            if node.schema and node.alias:
                names.add(f"{node.schema}.{node.alias}".lower())
            for name in names:
                index[name] = node
            if node.alias and node.resource_type != "source":
                alias = node.alias.lower()
                if alias in index and index[alias] is not node:
                    ambiguous.add(alias)
                index.setdefault(alias, node)
        for alias in ambiguous:
            index.pop(alias, None)
        return index

    def resolve_relation(self, name: str) -> Node | None:
        """The node a table reference in SQL names: db.schema.table, schema.table or table."""
        return self._relations.get(normalize_relation(name))

    def relation_parts(self, node: Node) -> tuple[str | None, str | None, str]:
        """(database, schema, identifier) as SQL would write them."""
        if node.relation_name and "(" not in node.relation_name:  # not an external table function
            parts = [p.strip('"`') for p in node.relation_name.split(".")]
            if len(parts) == 3:
                return parts[0], parts[1], parts[2]
            if len(parts) == 2:
                return None, parts[0], parts[1]
        return node.database, node.schema, node.alias or node.name
