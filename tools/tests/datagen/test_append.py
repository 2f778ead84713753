"""`append` adds new files for the next window and never touches existing ones."""

from __future__ import annotations

import glob
import hashlib
import json
import os

import pytest
from dg_helpers import connect, quiet_generate, scalar

from datagen.commands import append
from datagen.run import UsageError


def _files(root) -> dict[str, str]:
    out = {}
    for path in sorted(glob.glob(f"{root}/*/*/*.parquet")):
        with open(path, "rb") as f:
            out[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


def _append(root, batch):
    return append(str(root), batch, workers=1, progress=False, echo=lambda *_: None)


@pytest.fixture(scope="module")
def appended(tmp_path_factory):
    root = tmp_path_factory.mktemp("append")
    quiet_generate(root, 0.01, seed=21)
    before = _files(root)
    _append(root, 1)
    after_one = _files(root)
    _append(root, 2)
    return root, before, after_one, _files(root)


def test_existing_files_untouched(appended):
    root, before, after_one, after_two = appended
    for name, digest in before.items():
        assert after_two[name] == digest
    for name, digest in after_one.items():
        assert after_two[name] == digest
    new = set(after_one) - set(before)
    assert new and all("part-b0001-" in n for n in new)
    assert all("part-b0002-" in n for n in set(after_two) - set(after_one))


def test_manifest_records_batches(appended):
    root = appended[0]
    m = json.loads((root / "_manifest.json").read_text())
    assert [b["batch"] for b in m["batches"]] == [1, 2]
    first = m["batches"][0]
    assert first["window_start_utc"] == "2026-01-01T00:00:00"
    assert m["batches"][1]["window_start_utc"] == first["window_end_utc"]
    # ~1% of the base volume of new orders
    assert 0.008 <= first["new_orders"] / m["counts"]["orders"] <= 0.015
    rows = first["tables"]
    for name in ("shop.orders", "shop.order_items", "payments.payments", "web.sessions", "web.events"):
        assert rows[name]["rows"] > 0, name
    assert first["mess"]["shop.orders"]["cdc_update_rows"] > 0


def test_batch_contents(appended):
    root = appended[0]
    con = connect(root)
    f = "read_parquet('{}/{}/*.parquet', filename=true)"
    # New orders are placed after the base cut-off; the batch also carries status changes
    # of older orders and late refunds for them.
    assert scalar(con, f"""select count(*) from {f.format(root, 'shop/orders')} where filename like '%part-b0001-%'
                           and _cdc_op = 'u' and id <= 10000""") > 0
    assert scalar(con, f"""select count(*) from {f.format(root, 'payments/refunds')} r
                           join payments_payments p on p.id = r.payment_id
                           where r.filename like '%part-b0001-%' and p.order_id <= 10000""") > 0
    assert scalar(con, f"""select min(_loaded_at) from {f.format(root, 'shop/orders')}
                           where filename like '%part-b0001-%'""").isoformat() >= "2026-01-01"
    # Nothing is delivered twice across batches (beyond the documented exact duplicates).
    assert scalar(con, """select count(*) - count(distinct (id, _cdc_lsn)) from (select distinct * from shop_orders)""") == 0
    assert scalar(con, "select count(*) - count(distinct id) from payments_payments") == 0
    assert scalar(con, "select count(*) - count(distinct id) from web_events") == 0


def test_integrity_after_append(appended):
    con = connect(appended[0])
    assert scalar(con, """select count(*) from shop_order_items i
                          where not exists (select 1 from shop_orders o where o.id = i.order_id)""") == 0
    assert scalar(con, """select count(*) from payments_payments p
                          where not exists (select 1 from shop_orders o where o.id = p.order_id)""") == 0
    assert scalar(con, """select count(*) from shop_orders o
                          where not exists (select 1 from shop_customers c where c.id = o.customer_id)""") == 0
    assert scalar(con, """select count(*) from web_events e where event_type = 'purchase'
                          and not exists (select 1 from shop_orders o where o.id = e.order_id)""") == 0
    assert scalar(con, """select count(*) from payments_refunds r join payments_payments p on p.id = r.payment_id
                          where r.amount_minor > p.amount_minor""") == 0


def test_append_is_deterministic(appended, tmp_path):
    root, _, _, after_two = appended
    quiet_generate(tmp_path, 0.01, seed=21)
    _append(tmp_path, 1)
    _append(tmp_path, 2)
    assert _files(tmp_path) == after_two


def test_append_refuses_repeats_and_gaps(appended, tmp_path):
    root = appended[0]
    with pytest.raises(UsageError, match="already appended"):
        _append(root, 2)
    with pytest.raises(UsageError, match="next batch .* is 3"):
        _append(root, 5)
    with pytest.raises(UsageError, match="no _manifest.json"):
        _append(tmp_path, 1)
