"""Every file matches the contract in schema.py exactly; the manifest describes the files."""

from __future__ import annotations

import glob
import json

import pyarrow.parquet as pq
import pytest

from datagen.schema import TABLES


@pytest.mark.parametrize("name", sorted(TABLES))
def test_files_match_contract(tiny, name):
    t = TABLES[name]
    files = sorted(glob.glob(f"{tiny}/{t.source}/{t.name}/*.parquet"))
    assert files, f"no files for {name}"
    for f in files:
        assert pq.read_schema(f) == t.schema, f
        assert pq.read_metadata(f).row_group(0).column(0).compression in ("ZSTD", "SNAPPY")


def test_manifest_counts_match_files(tiny):
    manifest = json.loads((tiny / "_manifest.json").read_text())
    assert manifest["seed"] == 42 and manifest["scale"] == 0.001
    assert manifest["defects"] is None and manifest["batches"] == []
    for name, t in TABLES.items():
        entry = manifest["tables"][name]
        files = sorted(glob.glob(f"{tiny}/{t.source}/{t.name}/*.parquet"))
        assert sorted(f.rsplit("/", 1)[1] for f in files) == entry["files"]
        assert sum(pq.read_metadata(f).num_rows for f in files) == entry["rows"] > 0


def test_volumes_follow_scale(medium):
    m = json.loads((medium / "_manifest.json").read_text())
    rows = {k: v["rows"] for k, v in m["tables"].items()}
    orders = m["counts"]["orders"]
    assert orders == 20_000 and m["counts"]["customers"] == 2_000
    assert m["mess"]["shop.orders"]["orders_created"] == orders
    assert 2.3 < rows["shop.order_items"] / orders < 2.7
    assert 1.03 < rows["payments.payments"] / orders < 1.12
    assert 0.05 <= rows["payments.refunds"] / orders <= 0.085
    assert 8.5 < rows["web.events"] / orders < 11.5
    assert 2.5 < rows["web.sessions"] / orders < 4.0
    assert 0.10 <= rows["billing.subscriptions"] / m["counts"]["customers"] <= 0.15
    assert rows["shop.products"] >= 200
