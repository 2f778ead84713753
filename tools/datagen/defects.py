"""Injected defects (``generate --defects``): known faults at a known rate, fully recorded.

Unlike the documented mess, defects are things a warehouse must *detect* (tests should
fail on them). Each class targets specific tables; per table and generation block it
affects ``max(1, round(rate * rows))`` rows, chosen among rows no other class or mess item
touched. Every affected id is returned so the manifest can say exactly what was injected.

Extra rows (duplicate_key, null_key, orphan_fk, schema_drift) are added next to the clean
rows; in-place defects (the rest) change values of existing rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen import columns as col
from datagen.reference import US_PER_DAY
from datagen.rng import Stream, rng_for

TARGETS: dict[str, list[str]] = {
    "duplicate_key": ["shop.customers", "shop.orders", "shop.order_items", "payments.payments"],
    "null_key": ["shop.customers", "shop.order_items", "payments.payments", "web.events"],
    "orphan_fk": ["shop.order_items", "payments.payments", "payments.refunds"],
    "negative_amount": ["shop.order_items", "payments.payments"],
    "unknown_currency": ["shop.orders", "payments.payments"],
    "future_timestamp": ["shop.orders", "payments.payments", "web.events"],
    "malformed_email": ["shop.customers"],
    "refund_exceeds_payment": ["payments.refunds"],
    "late_arriving": ["shop.orders", "payments.payments"],
    "schema_drift": ["shop.order_items"],
}
CLASSES = list(TARGETS)
TABLE_NUMBER = {name: i for i, name in enumerate(sorted({t for ts in TARGETS.values() for t in ts}))}

DEFECT_ID_BASE = 9_000_000_000_000_000  # ids of injected extra rows: far from real ids
UNKNOWN_FK_BASE = 900_000_000_000  # foreign keys that match nothing
BAD_CURRENCIES = ["XXX", "EURO", "US$", "BTC"]
FUTURE_YEARS = (2.0, 6.0)  # after the end of the data window (the segment's end)
LATE_DAYS = (45.0, 400.0)  # _loaded_at this long after the event for late_arriving rows
WORD_QUANTITIES = ["one", "two", "three", "a few", "2 pcs"]
# Tables whose in-place defects apply per entity: every CDC row of a chosen order.
ORDER_LEVEL = {"shop.orders"}

DRIFT_SCHEMA = pa.schema([
    ("id", pa.int64()), ("order_id", pa.int64()), ("product_id", pa.int64()),
    ("quantity", pa.string()), ("unit_price_minor", pa.int64()), ("discount_minor", pa.int64()),
    ("gift_wrap", pa.bool_()), ("_loaded_at", pa.timestamp("us")),
])


@dataclass(frozen=True)
class DefectConfig:
    classes: tuple[str, ...]
    rate: float

    @staticmethod
    def parse(spec: str | None, rate: float) -> "DefectConfig | None":
        if not spec:
            return None
        names = CLASSES if spec.strip() == "all" else [s.strip() for s in spec.split(",") if s.strip()]
        unknown = [n for n in names if n not in TARGETS]
        if unknown:
            raise ValueError(f"unknown defect class(es): {', '.join(unknown)}; choose from: all, {', '.join(CLASSES)}")
        if not 0 < rate <= 0.2:
            raise ValueError(f"--defect-rate must be in (0, 0.2], got {rate}")
        return DefectConfig(tuple(c for c in CLASSES if c in names), rate)


@dataclass
class Injection:
    """What one call injected: per (class, table) the affected row count and ids."""

    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    ids: dict[tuple[str, str], list[np.ndarray]] = field(default_factory=dict)
    extra: dict[str, pa.Table] = field(default_factory=dict)  # e.g. the schema-drift rows

    def add(self, cls: str, table: str, rows: int, ids: np.ndarray | None) -> None:
        self.rows[cls, table] = self.rows.get((cls, table), 0) + rows
        if ids is not None:
            self.ids.setdefault((cls, table), []).append(np.asarray(ids, dtype=np.int64))


def inject(config: DefectConfig, table_name: str, data: pa.Table, seed: int, global_block: int,
           window_end: int, out: Injection) -> pa.Table:
    """Apply every configured class that targets `table_name` to one block's rows."""
    n0 = data.num_rows
    if n0 == 0:
        return data
    taken = _mess_rows(data)
    extras = []
    for cls in config.classes:
        if table_name not in TARGETS[cls]:
            continue
        rng = rng_for(seed, Stream.DEFECTS, CLASSES.index(cls), TABLE_NUMBER[table_name], global_block)
        units = len(np.unique(data.column("id").to_numpy())) if table_name in ORDER_LEVEL else n0
        k = max(1, round(config.rate * units))
        fn = _HANDLERS[cls]
        data, extra = fn(rng, table_name, data, taken, k, global_block, window_end, out, cls)
        if extra is not None:
            extras.append(extra)
    if extras:
        data = pa.concat_tables([data] + [_match_types(e, data.schema) for e in extras])
    return data


def _mess_rows(data: pa.Table) -> np.ndarray:
    """Entities that are part of the documented mess (exact duplicates, re-deliveries) are
    left alone, all their rows, so each defect stays one clear-cut case."""
    mess = np.zeros(data.num_rows, dtype=bool)
    for name in ("__dup", "__redelivery"):
        if name in data.column_names:
            mess |= data.column(name).to_numpy(zero_copy_only=False)
    ids = data.column("id").to_numpy()
    taken = np.isin(ids, ids[mess]) if mess.any() else mess
    if "__protect" in data.column_names:
        taken |= data.column("__protect").to_numpy(zero_copy_only=False)
    return taken


def _choose_rows(rng, taken: np.ndarray, k: int, eligible: np.ndarray | None = None) -> np.ndarray:
    pool = np.flatnonzero(~taken if eligible is None else (~taken & eligible))
    idx = np.sort(rng.choice(pool, size=min(k, len(pool)), replace=False)) if len(pool) else np.array([], dtype=np.int64)
    taken[idx] = True
    return idx


def _choose_entities(rng, data: pa.Table, taken: np.ndarray, k: int, eligible: np.ndarray | None = None) -> np.ndarray:
    """For order-level changes: pick k ids and return all their rows (marking them taken)."""
    ids = data.column("id").to_numpy()
    ok = ~taken if eligible is None else (~taken & eligible)
    # An order qualifies only if none of its rows is taken already.
    candidates = np.setdiff1d(np.unique(ids[ok]), np.unique(ids[taken]))
    chosen = np.sort(rng.choice(candidates, size=min(k, len(candidates)), replace=False)) if len(candidates) else candidates
    rows = np.flatnonzero(np.isin(ids, chosen))
    taken[rows] = True
    return rows


def _replace(data: pa.Table, name: str, rows: np.ndarray, values) -> pa.Table:
    column = data.column(name)
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    mask = np.zeros(data.num_rows, dtype=bool)
    mask[rows] = True
    values = values if isinstance(values, pa.Array) else pa.array(values, type=column.type)
    new = pc.replace_with_mask(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column,
                               pa.array(mask), values)
    return data.set_column(data.schema.get_field_index(name), name, new)


def _numpy(data: pa.Table, name: str) -> np.ndarray:
    return data.column(name).to_numpy(zero_copy_only=False)


def _equals(data: pa.Table, name: str, value: str) -> np.ndarray:
    column = data.column(name)
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    return pc.fill_null(pc.equal(column, value), False).to_numpy(zero_copy_only=False)


def _extra_ids(cls: str, table: str, global_block: int, k: int) -> np.ndarray:
    """Unique ids for injected rows: class, table and block are encoded in the id."""
    return (DEFECT_ID_BASE + CLASSES.index(cls) * 10**13 + TABLE_NUMBER[table] * 10**11
            + global_block * 10**6 + np.arange(1, k + 1))


# --- handlers: (rng, table name, data, taken, k, block, window end, out, cls) -> (data, extra)

def _duplicate_key(rng, name, data, taken, k, block, end, out, cls):
    idx = _choose_rows(rng, taken, k)
    copy = data.take(pa.array(idx))
    change = {"shop.customers": ("full_name", lambda c: pc.utf8_upper(c)),
              "shop.orders": ("shipping_fee_minor", lambda c: pc.add(c, 100)),
              "shop.order_items": ("quantity", lambda c: pc.add(c, 1)),
              "payments.payments": ("amount_minor", lambda c: pc.multiply(c, 2))}[name]
    column, fn = change
    copy = copy.set_column(copy.schema.get_field_index(column), column, fn(copy.column(column)))
    out.add(cls, name, len(idx), _numpy(copy, "id"))
    return data, copy


def _null_key(rng, name, data, taken, k, block, end, out, cls):
    idx = _choose_rows(rng, taken, k)
    copy = data.take(pa.array(idx))
    copy = copy.set_column(0, "id", pa.nulls(len(idx), pa.int64()))
    out.add(cls, name, len(idx), None)
    return data, copy


def _orphan_fk(rng, name, data, taken, k, block, end, out, cls):
    idx = _choose_rows(rng, taken, k)
    copy = data.take(pa.array(idx))
    m = len(idx)
    unknown = UNKNOWN_FK_BASE + rng.integers(1, 10**9, m)
    copy = copy.set_column(0, "id", pa.array(_extra_ids(cls, name, block, m)))
    if name == "shop.order_items":  # half point at a missing order, half at a missing product
        on_order = np.arange(m) % 2 == 0
        copy = _replace(copy, "order_id", np.flatnonzero(on_order), unknown[on_order])
        copy = _replace(copy, "product_id", np.flatnonzero(~on_order), unknown[~on_order])
    else:
        fk = {"payments.payments": "order_id", "payments.refunds": "payment_id"}[name]
        copy = _replace(copy, fk, np.arange(m), unknown)
    out.add(cls, name, m, _numpy(copy, "id"))
    return data, copy


def _negative_amount(rng, name, data, taken, k, block, end, out, cls):
    if name == "payments.payments":
        idx = _choose_rows(rng, taken, k, eligible=_equals(data, "status", "succeeded"))
        data = _replace(data, "amount_minor", idx, -_numpy(data, "amount_minor")[idx])
    else:
        idx = _choose_rows(rng, taken, k)
        qty, price = idx[::2], idx[1::2]
        data = _replace(data, "quantity", qty, -_numpy(data, "quantity")[qty])
        data = _replace(data, "unit_price_minor", price, -_numpy(data, "unit_price_minor")[price])
    out.add(cls, name, len(idx), _numpy(data, "id")[idx])
    return data, None


def _unknown_currency(rng, name, data, taken, k, block, end, out, cls):
    rows = _choose_entities(rng, data, taken, k) if name in ORDER_LEVEL else _choose_rows(rng, taken, k)
    ids = _numpy(data, "id")[rows]
    # One bad code per entity, so all CDC rows of an order agree.
    code = np.array(BAD_CURRENCIES)[(ids % len(BAD_CURRENCIES)).astype(int)]
    data = _replace(data, "currency", rows, pa.array(code, type=pa.string()))
    out.add(cls, name, len(rows), np.unique(ids))
    return data, None


def _future_timestamp(rng, name, data, taken, k, block, end, out, cls):
    column = {"shop.orders": "placed_at", "payments.payments": "attempted_at", "web.events": "occurred_at"}[name]
    rows = _choose_entities(rng, data, taken, k) if name in ORDER_LEVEL else _choose_rows(rng, taken, k)
    ids = _numpy(data, "id")[rows]
    # One instant per entity (all CDC rows of an order agree), years after the window.
    entity = np.unique(ids)
    future = end + (rng.uniform(*FUTURE_YEARS, len(entity)) * 365.25 * US_PER_DAY).astype(np.int64)
    data = _replace(data, column, rows, col.ts(future[np.searchsorted(entity, ids)]))
    out.add(cls, name, len(rows), np.unique(ids))
    return data, None


def _malformed_email(rng, name, data, taken, k, block, end, out, cls):
    rows = _choose_rows(rng, taken, k, eligible=_equals(data, "account_type", "customer"))
    emails = data.column("email").take(pa.array(rows))
    kind = np.arange(len(rows)) % 4
    broken = [pc.replace_substring(emails, "@", " at "), pc.replace_substring(emails, "@", "@@"),
              pc.utf8_slice_codeunits(emails, 0, 6), pc.binary_join_element_wise(emails, pa.scalar(" "), "")]
    value = broken[0]
    for j in range(1, 4):
        value = pc.if_else(pa.array(kind == j), broken[j], value)
    data = _replace(data, "email", rows, value)
    out.add(cls, name, len(rows), _numpy(data, "id")[rows])
    return data, None


def _refund_exceeds_payment(rng, name, data, taken, k, block, end, out, cls):
    rows = _choose_rows(rng, taken, k)
    paid = _numpy(data, "__payment_amount")[rows]
    data = _replace(data, "amount_minor", rows, (paid * rng.uniform(1.2, 3.0, len(rows))).astype(np.int64) + 1)
    out.add(cls, name, len(rows), _numpy(data, "id")[rows])
    return data, None


def _late_arriving(rng, name, data, taken, k, block, end, out, cls):
    t = _numpy(data, "__t")
    closed = t < end - (LATE_DAYS[0] + 15) * US_PER_DAY  # event's month closed long before the load
    rows = _choose_entities(rng, data, taken, k, eligible=closed) if name in ORDER_LEVEL else _choose_rows(rng, taken, k, closed)
    late = t[rows] + (rng.uniform(*LATE_DAYS, len(rows)) * US_PER_DAY).astype(np.int64)
    late = np.clip(late, t[rows] + int(LATE_DAYS[0] * US_PER_DAY), end - 1)
    data = _replace(data, "_loaded_at", rows, col.ts(late))
    out.add(cls, name, len(rows), np.unique(_numpy(data, "id")[rows]))
    return data, None


def _schema_drift(rng, name, data, taken, k, block, end, out, cls):
    """A second delivery of order lines from a newer shop release: `gift_wrap` added and
    `quantity` sent as text, sometimes not a number at all. Written as its own file."""
    idx = _choose_rows(rng, taken, k)
    m = len(idx)
    rows = data.take(pa.array(idx))
    qty = pc.cast(rows.column("quantity"), pa.string())
    wordy = (np.arange(m) % 3 == 1) | (m == 1)  # at least one non-numeric value
    words = col.take(WORD_QUANTITIES, rng.integers(0, len(WORD_QUANTITIES), m))
    qty = pc.if_else(pa.array(wordy), words, qty)
    drift = pa.table({
        "id": pa.array(_extra_ids(cls, name, block, m)),
        "order_id": rows.column("order_id"),
        "product_id": rows.column("product_id"),
        "quantity": qty,
        "unit_price_minor": rows.column("unit_price_minor"),
        "discount_minor": rows.column("discount_minor"),
        "gift_wrap": pa.array(rng.random(m) < 0.3),
        "_loaded_at": rows.column("_loaded_at"),
    }, schema=DRIFT_SCHEMA)
    out.add(cls, name, m, drift.column("id").to_numpy())
    out.add("schema_drift_non_numeric", name, int(wordy.sum()), None)
    previous = out.extra.get(name)
    out.extra[name] = drift if previous is None else pa.concat_tables([previous, drift])
    return data, None


def _match_types(extra: pa.Table, schema: pa.Schema) -> pa.Table:
    return pa.table([extra.column(f.name).cast(f.type) if extra.column(f.name).type != f.type else extra.column(f.name)
                     for f in schema], schema=schema)


_HANDLERS = {
    "duplicate_key": _duplicate_key,
    "null_key": _null_key,
    "orphan_fk": _orphan_fk,
    "negative_amount": _negative_amount,
    "unknown_currency": _unknown_currency,
    "future_timestamp": _future_timestamp,
    "malformed_email": _malformed_email,
    "refund_exceeds_payment": _refund_exceeds_payment,
    "late_arriving": _late_arriving,
    "schema_drift": _schema_drift,
}
