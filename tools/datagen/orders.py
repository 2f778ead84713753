"""shop.orders (CDC) and shop.order_items for one block of orders.

`order_core` decides everything about the block's orders once: when and where they are
placed, by whom, what they contain, and their whole life (payment, shipping, delivery,
cancellation, return, refund, soft delete), even the parts after the data window. Tables
are built from that core and then cut to a delivery window, which is how `append` batches
can later deliver the status changes of orders placed before them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from datagen import columns as col
from datagen import mess
from datagen.plan import CHILD_ID_STRIDE, MAX_ORDER_LIFECYCLE_US, ORDER_BLOCK, Segment
from datagen.reference import (COUNTRIES, COUNTRY_CURRENCY, COUNTRY_SHARE, CURRENCY_CODES, CURRENCY_INDEX,
                               MINOR_FACTOR, TIME_ZONES, US_PER_DAY, US_PER_HOUR, US_PER_SECOND)
from datagen.rng import Stream, flags, lognormal_seconds, pick, rng_for, uniform_int
from datagen.timeline import LOCAL_HOUR_PROFILE, is_last_day_of_month
from datagen.world import World

STATUSES = ["placed", "paid", "shipped", "delivered", "cancelled", "returned"]
PLACED, PAID, SHIPPED, DELIVERED, TERMINAL, DELETED = range(6)  # lifecycle columns
CANCELLED_CODE, RETURNED_CODE = 4, 5
CDC_OPS = ["c", "u", "d"]
ABSENT = -1
LSN_EPOCH_US = 1_577_836_800 * US_PER_SECOND  # 2020-01-01: keeps LSNs well inside int64
MINUTE = 60 * US_PER_SECOND
SHIPPING_FEE_MINOR = np.array([c.shipping_fee_minor for c in COUNTRIES])
# When an order is in a foreign currency, it is one of these (never the country's own).
MIXED_CURRENCIES = [CURRENCY_INDEX["USD"], CURRENCY_INDEX["EUR"], CURRENCY_INDEX["GBP"]]
MIXED_CURRENCY_SHARE = [0.60, 0.25, 0.15]


@dataclass
class OrderCore:
    """Everything about one block's orders; arrays are per order unless `line_`-prefixed."""

    seg: Segment
    block: int
    global_block: int
    id: np.ndarray
    placed_utc: np.ndarray
    placed_local: np.ndarray
    country: np.ndarray
    customer_id: np.ndarray
    currency: np.ndarray
    month_end: np.ndarray
    mixed_currency: np.ndarray
    created_loaded: np.ndarray  # _loaded_at of the order's first CDC row and its lines
    # lines
    line_order: np.ndarray
    line_product: np.ndarray  # catalogue index
    line_quantity: np.ndarray
    line_unit_price: np.ndarray
    line_discount: np.ndarray
    line_has_discount: np.ndarray
    items_total: np.ndarray
    shipping_fee: np.ndarray
    total: np.ndarray
    # lifecycle (UTC microseconds, ABSENT when it never happens)
    times: np.ndarray  # (n, 6) by lifecycle column
    status: np.ndarray  # (n, 6) status code of each lifecycle row
    failed_at: np.ndarray
    succeeded_at: np.ndarray
    refund_at: np.ndarray
    refund_amount: np.ndarray
    refund_kind: np.ndarray  # 0 none, 1 cancelled after payment, 2 returned, 3 partial

    @property
    def n(self) -> int:
        return len(self.id)


def order_core(world: World, seg: Segment, block: int) -> OrderCore:
    rng = rng_for(world.seed, Stream.ORDERS, seg.number, block)
    tz, fx, minimum = world.tz, world.fx, mess.MIN_PER_BLOCK
    lo = block * ORDER_BLOCK
    n = min(ORDER_BLOCK, seg.orders - lo)
    utc = seg.order_curve.time_at((np.arange(lo, lo + n) + rng.random(n)) / seg.orders)
    country = _pick_country(rng, world, utc)
    utc, month_end = _month_end_trap(rng, world, seg, utc, country)
    order = np.argsort(utc, kind="stable")  # ids increase with placement time
    utc, country, month_end = utc[order], country[order], month_end[order]
    customer = world.pick_orderers(rng, utc, country)
    local = tz.to_local(utc, country)

    currency = COUNTRY_CURRENCY[country].copy()
    mixed = flags(rng, n, mess.MIXED_CURRENCY_RATE, minimum=minimum)
    alt = np.array(MIXED_CURRENCIES)[pick(rng, n, MIXED_CURRENCY_SHARE)]
    alt = np.where(alt == currency, np.where(currency == MIXED_CURRENCIES[0], MIXED_CURRENCIES[1], MIXED_CURRENCIES[0]), alt)
    currency = np.where(mixed, alt, currency)

    # Lines, priced at the USD list price valid at order time, converted at the day's rate.
    n_lines = pick(rng, n, mess.LINES_PER_ORDER) + 1
    line_order = np.repeat(np.arange(n), n_lines)
    m = len(line_order)
    line_t = utc[line_order]
    product = world.catalog.pick(rng, line_t)
    quantity = pick(rng, m, mess.QUANTITY) + 1
    unit = fx.from_usd_cents(world.catalog.price_at(product, line_t), currency[line_order], line_t)
    gross = unit * quantity
    has_discount = (rng.random(m) >= mess.DISCOUNT_NULL_RATE) & (gross >= 2)
    share = rng.uniform(*mess.DISCOUNT_SHARE_RANGE, m)
    discount = np.where(has_discount, np.clip(np.floor(gross * share).astype(np.int64), 1, gross - 1), 0)
    items_total = np.bincount(line_order, weights=gross - discount, minlength=n).astype(np.int64)

    items_usd = items_total / MINOR_FACTOR[currency] * fx.usd_per_unit(currency, utc)
    own_fee = SHIPPING_FEE_MINOR[country]
    fee = np.where(mixed, fx.convert_minor(own_fee, COUNTRY_CURRENCY[country], currency, utc), own_fee)
    fee = np.where(items_usd >= mess.FREE_SHIPPING_THRESHOLD_USD, 0, fee)
    total = items_total + fee

    life = _lifecycle(rng, seg, utc, total)
    created_loaded = utc + _load_delay(rng, n)
    return OrderCore(
        seg=seg, block=block, global_block=seg.global_block(block),
        id=seg.first_order_id + lo + np.arange(n, dtype=np.int64),
        placed_utc=utc, placed_local=local, country=country, customer_id=customer, currency=currency,
        month_end=month_end, mixed_currency=mixed, created_loaded=created_loaded,
        line_order=line_order, line_product=product, line_quantity=quantity, line_unit_price=unit,
        line_discount=discount, line_has_discount=has_discount, items_total=items_total,
        shipping_fee=fee, total=total, **life,
    )


def _pick_country(rng, world: World, utc: np.ndarray) -> np.ndarray:
    """Shipping country: market share times how awake the country is at that UTC hour,
    among countries that already have customers."""
    n, k = len(utc), len(COUNTRIES)
    hours = np.stack([(world.tz.to_local(utc, np.full(n, c)) // US_PER_HOUR) % 24 for c in range(k)], axis=1)
    weight = COUNTRY_SHARE[None, :] * LOCAL_HOUR_PROFILE[hours] * (world.existing_per_country(utc) > 0)
    cum = np.cumsum(weight, axis=1)
    u = rng.random(n) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), k - 1)


def _month_end_trap(rng, world: World, seg: Segment, utc, country):
    """Move some orders on the last local day of a month into its final minutes, where the
    local and the UTC month differ for most time zones."""
    n = len(utc)
    local = world.tz.to_local(utc, country)
    day = local // US_PER_DAY
    window = mess.MONTH_END_WINDOW_MINUTES * MINUTE
    start = US_PER_DAY - window
    candidate = is_last_day_of_month(day) & (local - day * US_PER_DAY < start)
    rate = min(1.0, mess.MONTH_END_RATE / max(world.last_day_share, 1e-9))
    chosen = flags(rng, n, rate, eligible=candidate, minimum=mess.MIN_PER_BLOCK)
    moved_local = day * US_PER_DAY + start + uniform_int(rng, 0, window, n)
    moved = world.tz.to_utc(moved_local, country)
    ok = chosen & (moved >= seg.start_us) & (moved < seg.end_us)
    return np.where(ok, moved, utc), ok


def _lifecycle(rng, seg: Segment, utc: np.ndarray, total: np.ndarray) -> dict:
    n, minimum = len(utc), mess.MIN_PER_BLOCK
    # Forced minimum occurrences go to orders old enough for their whole life to be inside
    # the segment, so tiny data sets still show every status.
    old = utc < seg.end_us - MAX_ORDER_LIFECYCLE_US

    cancelled = flags(rng, n, mess.CANCELLED_RATE, minimum=minimum, pool=old)
    after_paid = flags(rng, n, mess.CANCELLED_AFTER_PAID_SHARE, eligible=cancelled, minimum=minimum, pool=old)
    unpaid_cancel = cancelled & ~after_paid
    paid = ~unpaid_cancel
    failed = (flags(rng, n, mess.FAILED_FIRST_ATTEMPT_RATE, eligible=paid, minimum=minimum, pool=old)
              | flags(rng, n, mess.UNPAID_CANCEL_FAILED_RATE, eligible=unpaid_cancel))
    failed_at = utc + uniform_int(rng, 5e6, 90e6, n)
    succeeded_at = np.where(failed, failed_at + uniform_int(rng, 30e6, 600e6, n), utc + uniform_int(rng, 5e6, 90e6, n))
    paid_at = succeeded_at + uniform_int(rng, 1e6, 30e6, n)
    cancel_at = np.where(after_paid, paid_at + uniform_int(rng, 30 * MINUTE, US_PER_DAY, n),
                         np.maximum(utc, np.where(failed, failed_at, utc)) + uniform_int(rng, 10 * MINUTE, 2 * US_PER_DAY, n))
    shipped_ok = paid & ~cancelled
    shipped_at = paid_at + uniform_int(rng, 4 * US_PER_HOUR, 3 * US_PER_DAY, n)
    delivered_at = shipped_at + uniform_int(rng, US_PER_DAY, 8 * US_PER_DAY, n)

    returned = flags(rng, n, mess.RETURNED_RATE, eligible=shipped_ok, minimum=minimum, pool=old)
    return_days = np.clip(np.exp(np.log(3.0) + 0.6 * rng.standard_normal(n)), 1, 30)
    returned_at = delivered_at + (return_days * US_PER_DAY).astype(np.int64)
    partial = flags(rng, n, mess.PARTIAL_REFUND_RATE, eligible=shipped_ok & ~returned, minimum=minimum, pool=old)
    late = flags(rng, n, mess.PARTIAL_REFUND_LATE_SHARE, eligible=partial, minimum=minimum, pool=old)
    late_days = np.minimum(mess.LATE_REFUND_DAYS + 0.5 + rng.exponential(12.0, n), mess.REFUND_MAX_DAYS)
    early_days = rng.uniform(1.0, mess.LATE_REFUND_DAYS - 0.5, n)
    partial_at = np.maximum(delivered_at + US_PER_HOUR, utc + (np.where(late, late_days, early_days) * US_PER_DAY).astype(np.int64))
    refund_kind = np.select([after_paid, returned, partial], [1, 2, 3], 0)
    refund_at = np.select(
        [after_paid, returned, partial],
        [cancel_at + uniform_int(rng, 10 * MINUTE, 2 * US_PER_DAY, n),
         returned_at + uniform_int(rng, US_PER_DAY, 4 * US_PER_DAY, n), partial_at], ABSENT)
    refund_share = rng.uniform(*mess.PARTIAL_REFUND_SHARE_RANGE, n)
    refund_amount = np.where(partial, np.maximum(1, np.floor(total * refund_share)).astype(np.int64), total)

    times = np.full((n, 6), ABSENT, dtype=np.int64)
    times[:, PLACED] = utc
    times[:, PAID] = np.where(paid, paid_at, ABSENT)
    times[:, SHIPPED] = np.where(shipped_ok, shipped_at, ABSENT)
    times[:, DELIVERED] = np.where(shipped_ok, delivered_at, ABSENT)
    times[:, TERMINAL] = np.select([cancelled, returned], [cancel_at, returned_at], ABSENT)
    deleted = flags(rng, n, mess.SOFT_DELETE_RATE, minimum=minimum, pool=old)
    last = times.max(axis=1)
    times[:, DELETED] = np.where(deleted, last + uniform_int(rng, US_PER_DAY, 30 * US_PER_DAY, n), ABSENT)
    status = np.tile(np.arange(6), (n, 1))
    status[:, TERMINAL] = np.where(cancelled, CANCELLED_CODE, RETURNED_CODE)
    # A delete row repeats the status the order had when it was deleted.
    present = times[:, :DELETED] != ABSENT
    last_col = DELETED - 1 - np.argmax(present[:, ::-1], axis=1)
    status[:, DELETED] = status[np.arange(n), last_col]
    assert (np.maximum(times.max(axis=1), refund_at) - utc).max() < MAX_ORDER_LIFECYCLE_US
    return dict(times=times, status=status, failed_at=np.where(failed, failed_at, ABSENT),
                succeeded_at=np.where(paid, succeeded_at, ABSENT), refund_at=refund_at,
                refund_amount=refund_amount, refund_kind=refund_kind)


def _load_delay(rng, n: int) -> np.ndarray:
    return lognormal_seconds(rng, n, mess.LOAD_DELAY_MEDIAN_SECONDS, 1.2, 20, mess.LOAD_DELAY_MAX_SECONDS)


def orders_table(world: World, core: OrderCore) -> pa.Table:
    """One row per lifecycle change (CDC), with ~2% of rows delivered twice.

    Hidden columns: ``__t`` (UTC instant of the change, for windowing), ``__dup`` (the
    second copy of a duplicated row).
    """
    rng = rng_for(world.seed, Stream.ORDERS, core.seg.number, core.block, 1)
    order, stage = np.nonzero(core.times != ABSENT)  # order-major, lifecycle order
    t = core.times[order, stage]
    r = len(order)
    loaded = np.where(stage == PLACED, core.created_loaded[order], t + _load_delay(rng, r))
    dup = flags(rng, r, mess.CDC_DUPLICATE_RATE, minimum=mess.MIN_PER_BLOCK, pool=t < core.seg.end_us)
    rows = np.repeat(np.arange(r), 1 + dup)
    is_copy = np.zeros(len(rows), dtype=bool)
    is_copy[np.flatnonzero(np.diff(rows) == 0) + 1] = True
    order, stage, t, loaded = order[rows], stage[rows], t[rows], loaded[rows]

    country = core.country[order]
    ids = core.id[order]
    op = np.where(stage == PLACED, 0, np.where(stage == DELETED, 2, 1))
    deleted = stage == DELETED
    updated_local = world.tz.to_local(t, country)
    return pa.table({
        "id": pa.array(ids),
        "customer_id": pa.array(core.customer_id[order]),
        "status": col.dict_strings(core.status[order, stage], STATUSES),
        "currency": col.dict_strings(core.currency[order], CURRENCY_CODES),
        "shipping_country": col.dict_strings(country, [c.code for c in COUNTRIES]),
        "shipping_fee_minor": pa.array(core.shipping_fee[order]),
        "placed_at": col.ts(core.placed_local[order]),
        "updated_at": col.ts(updated_local),
        "time_zone": col.dict_strings(country, TIME_ZONES),
        "deleted_at": col.ts(np.where(deleted, updated_local, 0), null=~deleted),
        "_cdc_lsn": pa.array((t - LSN_EPOCH_US) * 1024 + ids % 1024),
        "_cdc_op": col.dict_strings(op, CDC_OPS),
        "_loaded_at": col.ts(loaded),
        "__t": pa.array(t),
        "__dup": pa.array(is_copy),
    })


def items_table(world: World, core: OrderCore) -> pa.Table:
    """Order lines, ~0.5% delivered twice. Hidden: ``__t`` (placement), ``__dup``."""
    rng = rng_for(world.seed, Stream.ORDERS, core.seg.number, core.block, 2)
    m = len(core.line_order)
    dup = flags(rng, m, mess.ITEM_DUPLICATE_RATE, minimum=mess.MIN_PER_BLOCK)
    rows = np.repeat(np.arange(m), 1 + dup)
    is_copy = np.zeros(len(rows), dtype=bool)
    is_copy[np.flatnonzero(np.diff(rows) == 0) + 1] = True
    order = core.line_order[rows]
    return pa.table({
        "id": pa.array(core.global_block * CHILD_ID_STRIDE + rows + 1),
        "order_id": pa.array(core.id[order]),
        "product_id": pa.array(world.catalog.id[core.line_product[rows]]),
        "quantity": pa.array(core.line_quantity[rows].astype(np.int32)),
        "unit_price_minor": pa.array(core.line_unit_price[rows]),
        "discount_minor": pa.array(core.line_discount[rows], mask=~core.line_has_discount[rows]),
        "_loaded_at": col.ts(core.created_loaded[order]),
        "__t": pa.array(core.placed_utc[order]),
        "__dup": pa.array(is_copy),
    })
