"""Each defect class injects exactly what the manifest records, and clean data has none."""

from __future__ import annotations

import glob
import json

import pyarrow.parquet as pq
import pytest
from dg_helpers import connect

from datagen.defects import CLASSES, TARGETS

KNOWN_CURRENCIES = "('USD','EUR','GBP','JPY','CAD','AUD','SEK')"
FUTURE = "timestamp '2027-12-31'"  # END_DATE + 2 years

# Per (class, table): SQL returning the affected ids (or, for null_key, one row per defect).
DETECT = {
    ("duplicate_key", "shop.customers"): "select id from shop_customers where id is not null group by id, _loaded_at having count(*) > 1",
    ("duplicate_key", "shop.orders"): "select id from (select distinct * from shop_orders) group by id, _cdc_lsn having count(*) > 1",
    ("duplicate_key", "shop.order_items"): """select id from (select distinct * from shop_order_items)
        where id is not null group by id, _loaded_at having count(*) > 1""",
    ("duplicate_key", "payments.payments"): "select id from payments_payments where id is not null group by id, _loaded_at having count(*) > 1",
    ("null_key", "shop.customers"): "select 0 from shop_customers where id is null",
    ("null_key", "shop.order_items"): "select 0 from shop_order_items where id is null",
    ("null_key", "payments.payments"): "select 0 from payments_payments where id is null",
    ("null_key", "web.events"): "select 0 from web_events where id is null",
    ("orphan_fk", "shop.order_items"): """select id from shop_order_items i
        where not exists (select 1 from shop_orders o where o.id = i.order_id)
           or not exists (select 1 from shop_products p where p.id = i.product_id)""",
    ("orphan_fk", "payments.payments"): """select id from payments_payments p
        where not exists (select 1 from shop_orders o where o.id = p.order_id)""",
    ("orphan_fk", "payments.refunds"): """select id from payments_refunds r
        where not exists (select 1 from payments_payments p where p.id = r.payment_id)""",
    ("negative_amount", "shop.order_items"): "select id from shop_order_items where try_cast(quantity as bigint) < 0 or unit_price_minor < 0",
    ("negative_amount", "payments.payments"): "select id from payments_payments where amount_minor < 0",
    ("unknown_currency", "shop.orders"): f"select id from shop_orders where currency not in {KNOWN_CURRENCIES}",
    ("unknown_currency", "payments.payments"): f"select id from payments_payments where currency not in {KNOWN_CURRENCIES}",
    ("future_timestamp", "shop.orders"): f"select id from shop_orders where placed_at > {FUTURE}",
    ("future_timestamp", "payments.payments"): f"select id from payments_payments where attempted_at > {FUTURE}",
    ("future_timestamp", "web.events"): f"select id from web_events where occurred_at > {FUTURE}",
    ("malformed_email", "shop.customers"): "select id from shop_customers where not regexp_full_match(email, '[^@ ]+@[^@ ]+\\.[a-z]+')",
    ("refund_exceeds_payment", "payments.refunds"): """select r.id from payments_refunds r
        join payments_payments p on p.id = r.payment_id where r.amount_minor > p.amount_minor""",
    ("late_arriving", "shop.orders"): """select id from shop_orders
        where _loaded_at > (timezone(time_zone, updated_at) at time zone 'UTC') + interval 40 day""",
    ("late_arriving", "payments.payments"): "select id from payments_payments where _loaded_at > attempted_at + interval 40 day",
    ("schema_drift", "shop.order_items"): "select id from shop_order_items where gift_wrap is not null",
}


def test_every_class_and_target_is_checked():
    assert {(c, t) for c in CLASSES for t in TARGETS[c]} == set(DETECT)


@pytest.fixture(scope="module")
def injected(defective):
    return json.loads((defective / "_manifest.json").read_text())["defects"]


@pytest.mark.parametrize("key", sorted(DETECT), ids=lambda k: f"{k[0]}-{k[1]}")
def test_injected_rows_are_exactly_the_manifest(defective, injected, key):
    cls, table = key
    entry = injected["injected"][cls][table]
    found = [r[0] for r in connect(defective).execute(DETECT[key]).fetchall()]
    if cls == "null_key":
        assert len(found) == entry["rows"] > 0
        return
    assert sorted(set(found)) == entry["ids"], f"{cls} in {table}"
    assert entry["rows"] >= len(entry["ids"]) > 0


@pytest.mark.parametrize("key", sorted(DETECT), ids=lambda k: f"{k[0]}-{k[1]}")
def test_clean_data_has_no_defects(tiny, key):
    sql = DETECT[key]
    if key[0] == "schema_drift":  # the column does not exist at all in clean data
        sql = "select 1 where false"
    assert connect(tiny).execute(sql).fetchall() == []


def test_rate_is_respected(defective, injected):
    m = json.loads((defective / "_manifest.json").read_text())
    rows = m["tables"]
    assert injected["rate"] == 0.01 and injected["classes"] == CLASSES
    # Row-level classes: ~1% of the table's clean rows (rounded per block, at least 1).
    for cls in ("negative_amount", "null_key", "duplicate_key"):
        for table, entry in injected["injected"][cls].items():
            if table == "shop.orders":
                continue
            assert 0.5 * 0.01 * rows[table]["rows"] <= entry["rows"] <= 1.5 * 0.01 * rows[table]["rows"] + 2
    # Order-level classes count orders, not CDC rows.
    orders = m["counts"]["orders"]
    assert abs(injected["injected"]["unknown_currency"]["shop.orders"]["distinct_ids"] - 0.01 * orders) <= 2


def test_schema_drift_file(defective, injected):
    files = glob.glob(f"{defective}/shop/order_items/*drift*.parquet")
    assert len(files) == 1
    schema = pq.read_schema(files[0])
    assert schema.field("quantity").type == "string" and "gift_wrap" in schema.names
    entry = injected["injected"]["schema_drift"]["shop.order_items"]
    assert pq.read_metadata(files[0]).num_rows == entry["rows"]
    con = connect(defective)
    words = con.execute("select count(*) from shop_order_items where gift_wrap is not null and try_cast(quantity as int) is null").fetchone()[0]
    assert words == entry["non_numeric_quantity"] > 0
