"""Synthetic dbt artifacts for the manifest-only rule fixtures.

`manifest_from_spec(spec)` turns a short description of a dbt project into a manifest and a
semantic manifest shaped like dbt's own (enough for `tally.inputs.project.Project` and the rest
of the analysis). Every default makes a node clean, so a case writes only what is wrong with it.

    project:
      name: synthetic                # metadata.project_name (default "synthetic")
      adapter: duckdb                # metadata.adapter_type
      models:
        - name: stg_shop__orders     # the only required key
          path: models/staging/shop/stg_shop__orders.sql   # default models/<name>.sql
          sources: [shop.orders]     # source('shop', 'orders')
          refs: [fx_rates]           # ref() to models, seeds or snapshots of the spec
          sql: "select ..."          # raw code; default generated from sources then refs (below)
          description: ...           # default "The <name> model."; "" for none
          columns: {order_id: Order id., status: ""}   # name: description, or name: {description,
                                     # data_type, constraints: [not_null, primary_key, ...]}
          pk: order_id               # unique + not_null tests (a list: unique_combination_of_columns
                                     # + not_null on each); default "id"; ~ for no key tests
          tests:                     # more generic tests: {name, column | columns, path}
            - {name: not_null, column: status, path: models/other/_tests.yml}
          constraints: [{type: primary_key, columns: [order_id]}]   # model-level constraints
          materialized: table        # default table
          access: protected          # default protected
          contract: true             # contract.enforced, default false
          schema: staging            # default: the folder under models/ ("main" for models/x.sql)
          yaml: models/x/_x.yml      # patch_path; default _models.yml beside the SQL; ~ for none
      seeds:
        - {name: fx_rates, path: seeds/fx_rates.csv, schema: reference}
      sources:
        - name: shop.orders          # <source>.<table>, required
          path: models/staging/shop/_shop__sources.yml     # default models/staging/<source>/_<source>__sources.yml
          freshness: true            # default true
          description: ...           # default "The <table> table of <source>."; "" for none
      exposures:
        - {name: weekly_kpis, depends_on: [fct_orders, shop.orders], path: models/exposures.yml}
      semantic_models:
        - {model: fct_orders, primary_entity: order_id}
        # optional: measures [{name, agg, expr}], dimensions [{name, type, expr}], agg_time_dimension
      metrics:                       # shorthand, turned into dbt's semantic-manifest shape
        - {name: revenue, type: simple, measure: revenue_usd, filter: "{{ Dimension('order__is_test') }} = false"}
        - {name: aov, type: ratio, numerator: revenue, denominator: orders}

Generated SQL puts one parent per line, sources first, so findings at a `source()` or `ref()`
call have predictable positions: line 1 `select *`, line 2 `from <first parent>`, line 3 on
`join <next parent> using (id)`; a model with no parents is `select 1 as id`.

>>> manifest, _ = manifest_from_spec({"models": [{"name": "stg_a", "sources": ["shop.a"]}],
...                                   "sources": [{"name": "shop.a"}]})
>>> manifest["nodes"]["model.synthetic.stg_a"]["raw_code"]
"select *\\nfrom {{ source('shop', 'a') }}"
>>> manifest["nodes"]["model.synthetic.stg_a"]["depends_on"]["nodes"]
['source.synthetic.shop.a']
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

DATABASE = "synthetic"
_REF = re.compile(r"\bref\(\s*(?:['\"][^'\"]+['\"]\s*,\s*)?['\"]([^'\"]+)['\"]")
_SOURCE = re.compile(r"\bsource\(\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]")


def manifest_from_spec(spec: dict) -> tuple[dict, dict]:
    """(manifest, semantic_manifest) for a project described as above."""
    project = spec.get("name", "synthetic")
    builder = _Builder(project)
    for seed in spec.get("seeds") or []:
        builder.seed(seed)
    for source in spec.get("sources") or []:
        builder.source(source)
    for model in spec.get("models") or []:
        builder.model_id(model["name"])  # so refs resolve whatever the order
    for model in spec.get("models") or []:
        builder.model(model)
    for exposure in spec.get("exposures") or []:
        builder.exposure(exposure)
    manifest = {
        "metadata": {"project_name": project, "adapter_type": spec.get("adapter", "duckdb"),
                     "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
        "nodes": builder.nodes,
        "sources": builder.sources,
        "exposures": builder.exposures,
        "metrics": {},
        "semantic_models": {},
    }
    semantic = {
        "semantic_models": [_semantic_model(sm, builder) for sm in spec.get("semantic_models") or []],
        "metrics": [_metric(m) for m in spec.get("metrics") or []],
    }
    return manifest, semantic


class _Builder:
    def __init__(self, project: str) -> None:
        self.project = project
        self.nodes: dict[str, dict] = {}
        self.sources: dict[str, dict] = {}
        self.exposures: dict[str, dict] = {}
        self.ids: dict[str, str] = {}  # ref name or source.table -> unique_id
        self.relations: dict[str, str] = {}  # unique_id -> schema.alias, for semantic models
        self._tests = 0

    # --- ids -------------------------------------------------------------------------------

    def model_id(self, name: str) -> str:
        return self.ids.setdefault(name, f"model.{self.project}.{name}")

    def parent_id(self, name: str) -> str:
        if name in self.ids:
            return self.ids[name]
        raise KeyError(f"synthetic project: no model, seed or source named {name!r}")

    # --- nodes -----------------------------------------------------------------------------

    def seed(self, spec: dict) -> None:
        name = spec["name"]
        unique_id = f"seed.{self.project}.{name}"
        self.ids[name] = unique_id
        schema = spec.get("schema", "seeds")
        self.nodes[unique_id] = {
            "unique_id": unique_id, "resource_type": "seed", "name": name, "package_name": self.project,
            "original_file_path": spec.get("path", f"seeds/{name}.csv"), "database": DATABASE,
            "schema": schema, "alias": name, "relation_name": f'"{DATABASE}"."{schema}"."{name}"',
            "config": {"materialized": "seed"}, "description": spec.get("description", f"The {name} seed."),
            "columns": _columns(spec.get("columns") or {}), "depends_on": {"nodes": []},
            "patch_path": None, "raw_code": "",
        }

    def source(self, spec: dict) -> None:
        source_name, table = spec["name"].split(".", 1)
        unique_id = f"source.{self.project}.{source_name}.{table}"
        self.ids[spec["name"]] = unique_id
        schema = spec.get("schema", source_name)
        freshness = {"warn_after": {"count": 24, "period": "hour"}, "error_after": {"count": None, "period": None}}
        if not spec.get("freshness", True):
            freshness = {"warn_after": {"count": None, "period": None}, "error_after": {"count": None, "period": None}}
        self.sources[unique_id] = {
            "unique_id": unique_id, "resource_type": "source", "name": table, "source_name": source_name,
            "package_name": self.project,
            "original_file_path": spec.get("path", f"models/staging/{source_name}/_{source_name}__sources.yml"),
            "database": DATABASE, "schema": schema, "identifier": table,
            "relation_name": f'"{DATABASE}"."{schema}"."{table}"',
            "description": spec.get("description", f"The {table} table of {source_name}."),
            "source_description": "", "freshness": freshness, "loaded_at_field": "_loaded_at",
            "columns": _columns(spec.get("columns") or {}), "config": {"enabled": True}, "patch_path": None,
        }

    def model(self, spec: dict) -> None:
        name = spec["name"]
        unique_id = self.model_id(name)
        path = spec.get("path", f"models/{name}.sql")
        folders = PurePosixPath(path).parent.parts
        schema = spec.get("schema", folders[1] if len(folders) > 1 else "main")
        sources = list(spec.get("sources") or [])
        refs = list(spec.get("refs") or [])
        sql = spec.get("sql")
        if sql is None:
            sql = _generated_sql(sources, refs)
        else:  # dbt finds the dependencies in the Jinja; so do we
            sources += [f"{s}.{t}" for s, t in _SOURCE.findall(sql) if f"{s}.{t}" not in sources]
            refs += [r for r in _REF.findall(sql) if r not in refs]
        depends_on = [self.parent_id(s) for s in sources] + [self.parent_id(r) for r in refs]
        materialized = spec.get("materialized", "table")
        pk = spec.get("pk", "id")
        keys = [] if pk is None else ([pk] if isinstance(pk, str) else list(pk))
        columns_spec = dict(spec.get("columns") or {})
        for key in keys:
            columns_spec.setdefault(key, f"The {key} of a row.")
        yaml_path = spec.get("yaml", str(PurePosixPath(path).parent / "_models.yml"))
        self.nodes[unique_id] = {
            "unique_id": unique_id, "resource_type": "model", "name": name, "package_name": self.project,
            "original_file_path": path, "path": str(PurePosixPath(*PurePosixPath(path).parts[1:])),
            "database": DATABASE, "schema": schema, "alias": name,
            "relation_name": None if materialized == "ephemeral" else f'"{DATABASE}"."{schema}"."{name}"',
            "config": {
                "materialized": materialized, "access": spec.get("access", "protected"),
                "contract": {"enforced": bool(spec.get("contract", False))},
            },
            "access": spec.get("access", "protected"),
            "contract": {"enforced": bool(spec.get("contract", False))},
            "constraints": list(spec.get("constraints") or []),
            "description": spec.get("description", f"The {name} model."),
            "columns": _columns(columns_spec),
            "depends_on": {"nodes": depends_on, "macros": []},
            "raw_code": sql, "language": "sql",
            "patch_path": f"{self.project}://{yaml_path}" if yaml_path else None,
        }
        tests = []
        if len(keys) == 1:
            tests.append({"name": "unique", "column": keys[0]})
        elif len(keys) > 1:
            tests.append({"name": "unique_combination_of_columns", "columns": keys})
        tests += [{"name": "not_null", "column": key} for key in keys]
        tests += list(spec.get("tests") or [])
        for test in tests:
            self.test(unique_id, name, test, yaml_path or str(PurePosixPath(path).parent / "_models.yml"))

    def test(self, model_id: str, model_name: str, spec: dict, default_path: str) -> None:
        self._tests += 1
        test_name = spec["name"]
        column = spec.get("column")
        kwargs = {"model": f"{{{{ get_where_subquery(ref('{model_name}')) }}}}"}
        if column:
            kwargs["column_name"] = column
        if spec.get("columns"):
            kwargs["combination_of_columns"] = list(spec["columns"])
        node_name = "_".join(p for p in (test_name, model_name, column) if p)
        unique_id = f"test.{self.project}.{node_name}.{self._tests:08x}"
        self.nodes[unique_id] = {
            "unique_id": unique_id, "resource_type": "test", "name": node_name, "package_name": self.project,
            "original_file_path": spec.get("path", default_path), "path": f"{node_name}.sql",
            "test_metadata": {"name": test_name, "kwargs": kwargs, "namespace": spec.get("namespace")},
            "attached_node": model_id, "column_name": column,
            "depends_on": {"nodes": [model_id], "macros": []}, "config": {"severity": "ERROR"},
        }

    def exposure(self, spec: dict) -> None:
        name = spec["name"]
        unique_id = f"exposure.{self.project}.{name}"
        self.exposures[unique_id] = {
            "unique_id": unique_id, "resource_type": "exposure", "name": name, "package_name": self.project,
            "original_file_path": spec.get("path", "models/exposures.yml"), "type": spec.get("type", "dashboard"),
            "description": spec.get("description", f"The {name} dashboard."),
            "depends_on": {"nodes": [self.parent_id(p) for p in spec.get("depends_on") or []]},
            "owner": {"name": "Analytics"}, "config": {"enabled": True},
        }


def _generated_sql(sources: list[str], refs: list[str]) -> str:
    calls = [f"{{{{ source('{s.split('.', 1)[0]}', '{s.split('.', 1)[1]}') }}}}" for s in sources]
    calls += [f"{{{{ ref('{r}') }}}}" for r in refs]
    if not calls:
        return "select 1 as id"
    lines = ["select *", f"from {calls[0]}"] + [f"join {call} using (id)" for call in calls[1:]]
    return "\n".join(lines)


def _columns(spec: dict) -> dict:
    columns = {}
    for name, value in spec.items():
        value = value if isinstance(value, dict) else {"description": value or ""}
        columns[name] = {
            "name": name,
            "description": value.get("description", ""),
            "data_type": value.get("data_type"),
            "constraints": [{"type": c} for c in value.get("constraints") or []],
            "meta": value.get("meta") or {},
        }
    return columns


def _semantic_model(spec: dict, builder: _Builder) -> dict:
    model = builder.nodes[builder.parent_id(spec["model"])]
    entity = spec["primary_entity"]
    return {
        "name": spec.get("name", model["name"]),
        "node_relation": {"alias": model["alias"], "schema_name": model["schema"], "database": DATABASE,
                          "relation_name": model["relation_name"]},
        "entities": [{"name": entity, "type": "primary", "expr": entity}],
        "defaults": {"agg_time_dimension": spec.get("agg_time_dimension")},
        "dimensions": list(spec.get("dimensions") or []),
        "measures": list(spec.get("measures") or []),
    }


def _metric(spec: dict) -> dict:
    """A metric in the semantic manifest's shape, from the short spec above."""
    def where(text):
        return {"where_filters": [{"where_sql_template": text}]} if text else None

    params = {"measure": None, "numerator": None, "denominator": None, "expr": spec.get("expr"), "metrics": []}
    if spec.get("measure"):
        params["measure"] = {"name": spec["measure"], "filter": None}
    for key in ("numerator", "denominator"):
        if spec.get(key):
            params[key] = {"name": spec[key], "filter": None}
    for name in spec.get("metrics") or []:
        params["metrics"].append({"name": name, "filter": None, "alias": None})
    return {"name": spec["name"], "label": spec.get("label", spec["name"]), "description": spec.get("description", ""),
            "type": spec.get("type", "simple"), "type_params": params, "filter": where(spec.get("filter"))}
