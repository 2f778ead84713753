"""Counting the documented mess in delivered rows, for the manifest.

Counts are taken from the rows actually written (after cutting to the delivery window,
before defects), so the manifest states what a reader will find, not what was intended.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen import mess
from datagen.reference import COUNTRIES, US_PER_DAY
from datagen.timeline import is_last_day_of_month

MINUTE = 60_000_000


def _flag(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype(bool)


def _is(table: pa.Table, name: str, value: str) -> np.ndarray:
    parts = []
    for chunk in table.column(name).chunks:
        if pa.types.is_dictionary(chunk.type):
            pos = pc.index(chunk.dictionary, value).as_py()
            codes = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            parts.append(codes == pos if pos >= 0 else np.zeros(len(chunk), bool))
        else:
            parts.append(pc.fill_null(pc.equal(chunk, value), False).to_numpy(zero_copy_only=False))
    return np.concatenate(parts) if parts else np.zeros(0, bool)


def _nulls(table: pa.Table, name: str) -> np.ndarray:
    return pc.is_null(table.column(name)).to_numpy(zero_copy_only=False)


def _micros(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).cast(pa.int64()).to_numpy(zero_copy_only=False)


def _strings(table: pa.Table, name: str) -> np.ndarray:
    column = table.column(name)
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)


def mess_counts(table_name: str, t: pa.Table) -> dict[str, int]:
    fn = _COUNTERS.get(table_name)
    return {k: int(v) for k, v in fn(t).items()} if fn and t.num_rows else {}


def _customers(t):
    again = _flag(t, "__redelivery")
    first = ~again
    return {
        "test_accounts": (_is(t, "account_type", "test") & first).sum(),
        "internal_accounts": (_is(t, "account_type", "internal") & first).sum(),
        "redelivered_rows": again.sum(),
        "null_phone": (_nulls(t, "phone") & first).sum(),
        "null_postal_code": (_nulls(t, "postal_code") & first).sum(),
        "null_acquisition_channel": (_nulls(t, "acquisition_channel") & first).sum(),
    }


def _orders(t):
    dup = _flag(t, "__dup")
    op_c = _is(t, "_cdc_op", "c") & ~dup
    op_u = _is(t, "_cdc_op", "u") & ~dup
    op_d = _is(t, "_cdc_op", "d") & ~dup
    country = _strings(t, "shipping_country")[op_c]
    currency = _strings(t, "currency")[op_c]
    mixed = sum(int((currency[country == c.code] != c.currency).sum()) for c in COUNTRIES)
    placed = _micros(t, "placed_at")[op_c]
    day = placed // US_PER_DAY
    late_minutes = placed - day * US_PER_DAY >= US_PER_DAY - mess.MONTH_END_WINDOW_MINUTES * MINUTE
    return {
        "orders_created": op_c.sum(),
        "cdc_update_rows": op_u.sum(),
        "cdc_duplicate_rows": dup.sum(),
        "cancelled_orders": (_is(t, "status", "cancelled") & op_u).sum(),
        "returned_orders": (_is(t, "status", "returned") & op_u).sum(),
        "soft_deleted_orders": op_d.sum(),
        "mixed_currency_orders": mixed,
        "month_end_orders": (late_minutes & is_last_day_of_month(day)).sum(),
        "free_shipping_orders": (t.column("shipping_fee_minor").to_numpy()[op_c] == 0).sum(),
    }


def _items(t):
    return {"duplicate_rows": _flag(t, "__dup").sum(), "discounted_lines": (~_nulls(t, "discount_minor")).sum()}


def _payments(t):
    failed = _is(t, "status", "failed")
    return {"failed_attempts": failed.sum(), "failed_without_method": (failed & _nulls(t, "method")).sum()}


def _refunds(t):
    amount = t.column("amount_minor").to_numpy()
    paid = t.column("__payment_amount").to_numpy()
    created = _micros(t, "created_at")
    placed = t.column("__placed_utc").to_numpy()
    month = lambda us: (us // US_PER_DAY).astype("datetime64[D]").astype("datetime64[M]")  # noqa: E731
    return {
        "full_refunds": (amount == paid).sum(),
        "partial_refunds": (amount < paid).sum(),
        "late_refunds": (created - placed > mess.LATE_REFUND_DAYS * US_PER_DAY).sum(),
        "cross_month_refunds": (month(created) != month(placed)).sum(),
    }


def _sessions(t):
    anonymous = _nulls(t, "customer_id")
    return {"anonymous_sessions": anonymous.sum(), "logged_in_sessions": (~anonymous).sum(),
            "untagged_sessions": _nulls(t, "utm_source").sum()}


def _events(t):
    return {f"{e}_events": _is(t, "event_type", e).sum() for e in ("add_to_cart", "checkout", "purchase")}


def _subscriptions(t):
    return {"paused": (~_nulls(t, "paused_at")).sum(), "resumed": (~_nulls(t, "resumed_at")).sum(),
            "cancelled": (~_nulls(t, "cancelled_at")).sum(), "plus_plan": _is(t, "plan", "plus").sum()}


_COUNTERS = {
    "shop.customers": _customers,
    "shop.orders": _orders,
    "shop.order_items": _items,
    "payments.payments": _payments,
    "payments.refunds": _refunds,
    "web.sessions": _sessions,
    "web.events": _events,
    "billing.subscriptions": _subscriptions,
}
