"""Breaking changes and renames on synthetic projects: base and head manifests side by side,
through the same analysis `tally review` runs (no dbt, no warehouse)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

from tally import config as tally_config
from tally.review.breaking import find_breaking
from tally.review.changes import analyse_side, compare

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "linter"))
from synthetic import manifest_from_spec  # noqa: E402  tools/tests/linter/synthetic.py

COLUMNS = {
    "order_id": {"description": "Key.", "data_type": "bigint"},
    "amount_usd": {"description": "Amount.", "data_type": "decimal(18,2)"},
    "is_test": {"description": "Test account.", "data_type": "boolean"},
}
SQL = "select order_id, amount_usd, is_test from {{ ref('int_orders') }}"


def project(**mart) -> dict:
    spec = {"name": "fct_orders", "path": "models/marts/fct_orders.sql", "refs": ["int_orders"], "sql": SQL,
            "columns": copy.deepcopy(COLUMNS), "pk": "order_id", "access": "public", "contract": True}
    spec.update(mart)
    return {
        "models": [
            {"name": "int_orders", "path": "models/intermediate/int_orders.sql",
             "sql": "select 1 as order_id, 2.5 as amount_usd, false as is_test", "columns": {}},
            spec,
        ],
        "semantic_models": [{"model": "fct_orders", "primary_entity": "order_id",
                             "measures": [{"name": "revenue_usd", "agg": "sum", "expr": "amount_usd"}],
                             "dimensions": [{"name": "is_test", "type": "categorical"}]}],
        "metrics": [{"name": "revenue", "type": "simple", "measure": "revenue_usd",
                     "filter": "{{ Dimension('order_id__is_test') }} = false"}],
    }


def side(name: str, spec: dict, tmp_path: Path, edit=None):
    manifest, semantic = manifest_from_spec(spec)
    if edit:
        edit(manifest, semantic)
    folder = tmp_path / name
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "semantic_manifest.json").write_text(json.dumps(semantic))
    return analyse_side(name, None, folder, tally_config.Config(project_dir=tmp_path))


def review(tmp_path, base_spec, head_spec, modified, base_edit=None, head_edit=None):
    base = side("base", base_spec, tmp_path, base_edit)
    head = side("head", head_spec, tmp_path, head_edit)
    changes = compare(base, head, modified)
    return changes, find_breaking(base, head, changes)


def summary(breaking) -> list[tuple]:
    return [(b.subject, b.change, b.base, b.head, b.fails) for b in breaking]


def test_an_unchanged_project_breaks_nothing(tmp_path):
    changes, breaking = review(tmp_path, project(), project(), [])
    assert changes.nodes == [] and breaking == []


def test_removed_column_changed_type_and_dropped_contract_break_a_public_mart(tmp_path):
    columns = copy.deepcopy(COLUMNS)
    del columns["is_test"]
    columns["amount_usd"]["data_type"] = "double"
    head = project(columns=columns, contract=False, sql="select order_id, amount_usd from {{ ref('int_orders') }}")

    changes, breaking = review(tmp_path, project(), head, ["model.synthetic.fct_orders"])

    assert ("fct_orders", "contract dropped", "enforced", "not enforced", True) in summary(breaking)
    assert ("fct_orders", "column removed", "is_test (boolean)", None, True) in summary(breaking)
    assert ("fct_orders", "column amount_usd: type changed", "decimal(18,2)", "double", True) in summary(breaking)
    assert [(c.column, c.change) for c in changes.columns] == [("is_test", "removed")]


def test_a_renamed_column_is_a_rename(tmp_path):
    columns = {("amount" if k == "amount_usd" else k): v for k, v in copy.deepcopy(COLUMNS).items()}
    head = project(columns=columns, sql="select order_id, amount_usd as amount, is_test from {{ ref('int_orders') }}")

    changes, breaking = review(tmp_path, project(), head, ["model.synthetic.fct_orders"])

    assert [(c.column, c.change, c.renamed_from) for c in changes.columns] == [("amount", "renamed", "amount_usd")]
    assert ("fct_orders", "column renamed", "amount_usd", "amount", True) in summary(breaking)


def test_a_changed_primary_key_breaks(tmp_path):
    def without_semantics(spec):  # a semantic model's primary entity would keep order_id a key
        spec.pop("semantic_models"), spec.pop("metrics")
        return spec

    changes, breaking = review(tmp_path, without_semantics(project()),
                               without_semantics(project(pk=["order_id", "is_test"])), ["model.synthetic.fct_orders"])
    assert ("fct_orders", "grain / primary key changed", "order_id", "order_id, is_test", True) in summary(breaking)


def test_a_breaking_change_carried_by_a_new_model_version_does_not_fail(tmp_path):
    columns = copy.deepcopy(COLUMNS)
    del columns["is_test"]

    def versioned(manifest, _semantic):
        """fct_orders becomes fct_orders v1 (as it was) and v2 (without is_test), v2 the latest."""
        nodes = manifest["nodes"]
        old = nodes.pop("model.synthetic.fct_orders")
        for version in (1, 2):
            node = copy.deepcopy(old)
            node.update(unique_id=f"model.synthetic.fct_orders.v{version}", version=version, latest_version=2,
                        alias=f"fct_orders_v{version}",
                        relation_name=f'"synthetic"."marts"."fct_orders_v{version}"')
            if version == 2:
                node["columns"].pop("is_test")
            nodes[node["unique_id"]] = node

    changes, breaking = review(tmp_path, project(), project(), ["model.synthetic.fct_orders.v1",
                                                                "model.synthetic.fct_orders.v2"], head_edit=versioned)

    assert ("fct_orders", "column removed", "is_test (boolean)", None, False) in summary(breaking)
    assert not any(b.fails for b in breaking)
    assert not any(n.change == "renamed" for n in changes.nodes)  # a new version is not a rename


def test_renamed_mart_is_a_rename_and_breaks_its_readers(tmp_path):
    head = project(name="fct_order_lines", path="models/marts/fct_order_lines.sql")
    head["semantic_models"][0]["model"] = "fct_order_lines"

    changes, breaking = review(tmp_path, project(), head, ["model.synthetic.fct_order_lines"])

    assert [(n.name, n.change, n.renamed_from) for n in changes.nodes if n.resource_type == "model"] == \
        [("fct_order_lines", "renamed", "fct_orders")]
    assert ("fct_orders", "model renamed", "fct_orders", "fct_order_lines", True) in summary(breaking)


def test_metric_filter_and_aggregation_changes_are_breaking(tmp_path):
    head = project()
    head["metrics"][0]["filter"] = None
    head["semantic_models"][0]["measures"][0]["agg"] = "max"

    changes, breaking = review(tmp_path, project(), head, [])

    assert changes.metrics_by_definition == ["revenue"]
    assert {(b.subject, b.change) for b in breaking} == {("revenue", "aggregation changed"), ("revenue", "filter changed")}
    assert all(b.fails and b.kind == "metric" for b in breaking)
