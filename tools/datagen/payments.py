"""payments.payments and payments.refunds for one block of orders.

Timing and amounts come from the order core (they drive the order's status changes); this
module adds what only the payment processor knows: methods, failure codes, ids, reasons.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from datagen import columns as col
from datagen import mess
from datagen.orders import ABSENT, OrderCore
from datagen.plan import CHILD_ID_STRIDE
from datagen.reference import CURRENCY_CODES
from datagen.rng import Stream, flags, lognormal_seconds, pick, rng_for
from datagen.world import World

METHODS = list(mess.PAYMENT_METHODS)
PAYMENT_STATUSES = ["succeeded", "failed"]
FAILURE_CODES = list(mess.FAILURE_CODES)
REFUND_REASONS = ["order_cancelled", "returned", "damaged", "missing_item", "late_delivery", "goodwill"]
PARTIAL_REASONS = [2, 3, 4, 5]


def _load_delay(rng, n):
    # The processor exports in batches: a few minutes to a few hours.
    return lognormal_seconds(rng, n, 1200, 1.0, 60, mess.LOAD_DELAY_MAX_SECONDS)


def payment_ids(core: OrderCore) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order index, is failed attempt, id) of every attempt, order-major, failed first."""
    failed = core.failed_at != ABSENT
    succeeded = core.succeeded_at != ABSENT
    per_order = np.stack([failed, succeeded], axis=1)
    order, kind = np.nonzero(per_order)
    ids = core.global_block * CHILD_ID_STRIDE + np.arange(len(order), dtype=np.int64) + 1
    return order, kind == 0, ids


def payments_table(world: World, core: OrderCore) -> pa.Table:
    """All attempts; a failed one (~8%) precedes the successful one.

    Hidden: ``__t`` (attempt time), ``__protect`` (refunded: no defects here)."""
    rng = rng_for(world.seed, Stream.ORDERS, core.seg.number, core.block, 3)
    order, is_failed, ids = payment_ids(core)
    r = len(order)
    at = np.where(is_failed, core.failed_at[order], core.succeeded_at[order])
    method = pick(rng, r, mess.PAYMENT_METHODS)
    no_method = flags(rng, r, mess.FAILED_METHOD_NULL_RATE, eligible=is_failed, minimum=mess.MIN_PER_BLOCK)
    failure = pick(rng, r, mess.FAILURE_CODES)
    return pa.table({
        "id": pa.array(ids),
        "order_id": pa.array(core.id[order]),
        "amount_minor": pa.array(core.total[order]),
        "currency": col.dict_strings(core.currency[order], CURRENCY_CODES),
        "method": col.dict_strings(method, METHODS, null=no_method),
        "status": col.dict_strings(is_failed.astype(np.int32), PAYMENT_STATUSES),
        "failure_code": col.dict_strings(failure, FAILURE_CODES, null=~is_failed),
        "attempted_at": col.ts(at),
        "_loaded_at": col.ts(at + _load_delay(rng, r)),
        "__t": pa.array(at),
        # Refunded payments are kept clear of injected defects, so a refund check never
        # fails because of a defect aimed at another class.
        "__protect": pa.array(~is_failed & (core.refund_kind[order] > 0)),
    })


def refunds_table(world: World, core: OrderCore) -> pa.Table:
    """Full refunds for cancelled-after-payment and returned orders, partial ones for ~4% of
    delivered orders. Hidden: ``__t``, ``__payment_amount``, ``__placed_utc``."""
    rng = rng_for(world.seed, Stream.ORDERS, core.seg.number, core.block, 4)
    order, is_failed, pay_ids = payment_ids(core)
    success_id = np.zeros(core.n, dtype=np.int64)
    success_id[order[~is_failed]] = pay_ids[~is_failed]
    refunded = np.flatnonzero(core.refund_kind > 0)
    r = len(refunded)
    kind = core.refund_kind[refunded]
    reason = np.where(kind == 1, 0, np.where(kind == 2, 1, np.array(PARTIAL_REASONS)[rng.integers(0, 4, r)]))
    no_reason = rng.random(r) < mess.REFUND_REASON_NULL_RATE
    at = core.refund_at[refunded]
    return pa.table({
        "id": pa.array(core.global_block * CHILD_ID_STRIDE + np.arange(r, dtype=np.int64) + 1),
        "payment_id": pa.array(success_id[refunded]),
        "amount_minor": pa.array(core.refund_amount[refunded]),
        "currency": col.dict_strings(core.currency[refunded], CURRENCY_CODES),
        "reason": col.dict_strings(reason, REFUND_REASONS, null=no_reason),
        "created_at": col.ts(at),
        "_loaded_at": col.ts(at + _load_delay(rng, r)),
        "__t": pa.array(at),
        "__payment_amount": pa.array(core.total[refunded]),
        "__placed_utc": pa.array(core.placed_utc[refunded]),
    })
