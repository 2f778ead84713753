"""How much data, over which period, in which fixed blocks.

A *segment* is one delivery: segment 0 is the base data set (START_DATE..END_DATE), segment
``k`` is ``append --batch k`` (whole UTC days right after the previous segment, about 1% of
the base volume). Within a segment, orders are generated in fixed blocks of ORDER_BLOCK
consecutive ids, each with its own random generator. A block is the unit of parallel work
and of determinism: it yields its orders with their items, payments, refunds and the web
sessions of the same stretch of time. Files group several blocks, which changes the file
layout but never the rows.
"""

from __future__ import annotations

import math
from functools import cached_property

from datagen import mess
from datagen.reference import US_PER_DAY, epoch_us
from datagen.schema import END_DATE, START_DATE
from datagen.timeline import VolumeCurve, window_mass

ORDER_BLOCK = 16_384  # orders per block
CUSTOMER_BLOCK = 65_536  # customers per block
SEGMENT_BLOCK_STRIDE = 10_000  # global block number = segment * stride + block
CHILD_ID_STRIDE = 10_000_000  # child row id = global block * stride + row number in block

BASE_START_US = epoch_us(START_DATE)
BASE_END_US = epoch_us(END_DATE) + US_PER_DAY  # exclusive: the base extract cut-off (UTC)
CUSTOMER_HISTORY_START_US = epoch_us("2022-01-01")  # accounts pre-dating the window
PRODUCT_HISTORY_START_US = epoch_us("2021-06-01")
# Orders change state (and get refunded or deleted) at most this long after placement;
# `append` regenerates older blocks that may still change within the batch window.
MAX_ORDER_LIFECYCLE_US = 100 * US_PER_DAY

MIN_SCALE, MAX_SCALE = 0.0001, 100.0


def n_customers(scale: float) -> int:
    return max(10, round(100_000 * scale))


def n_orders(scale: float) -> int:
    return max(100, round(1_000_000 * scale))


def n_products(scale: float) -> int:
    """The catalogue grows slowly with scale and never drops below ~200 products."""
    return max(200, round(2_000 * math.sqrt(scale)))


def n_campaigns(scale: float) -> int:
    return min(80, max(6, round(40 * scale ** 0.25)))


class Segment:
    """One delivery window and the ids of the entities first created in it."""

    def __init__(self, number: int, start_us: int, end_us: int, first_order_id: int, orders: int,
                 first_customer_id: int, customers: int):
        self.number = number
        self.start_us, self.end_us = start_us, end_us
        self.first_order_id, self.orders = first_order_id, orders
        self.first_customer_id, self.customers = first_customer_id, customers
        self.browse_sessions = round(orders * mess.BROWSE_SESSIONS_PER_ORDER)

    @cached_property
    def order_curve(self) -> VolumeCurve:
        return VolumeCurve(self.start_us, self.end_us)

    @cached_property
    def customer_curve(self) -> VolumeCurve:
        start = CUSTOMER_HISTORY_START_US if self.number == 0 else self.start_us
        return VolumeCurve(start, self.end_us)

    @property
    def order_blocks(self) -> int:
        return math.ceil(self.orders / ORDER_BLOCK)

    @property
    def customer_blocks(self) -> int:
        return math.ceil(self.customers / CUSTOMER_BLOCK)

    def global_block(self, block: int) -> int:
        return self.number * SEGMENT_BLOCK_STRIDE + block

    def block_quantiles(self, block: int) -> tuple[float, float]:
        lo = block * ORDER_BLOCK
        hi = min(lo + ORDER_BLOCK, self.orders)
        return lo / self.orders, hi / self.orders

    def block_time_span(self, block: int) -> tuple[int, int]:
        """Earliest and latest placement time of the block's orders (with a day's margin
        for the month-end shift, which moves an order later within its local day)."""
        q0, q1 = self.block_quantiles(block)
        t0, t1 = self.order_curve.time_at([q0, q1])
        return int(t0), int(t1) + 2 * US_PER_DAY


class Plan:
    """Counts and segments for a scale and a number of append batches."""

    def __init__(self, scale: float, batches: int = 0):
        if not (MIN_SCALE <= scale <= MAX_SCALE):
            raise ValueError(f"scale must be between {MIN_SCALE} and {MAX_SCALE}, got {scale}")
        self.scale = scale
        self.products = n_products(scale)
        self.campaigns = n_campaigns(scale)
        base = Segment(0, BASE_START_US, BASE_END_US, 1, n_orders(scale), 1, n_customers(scale))
        self.subscriptions = max(3, round(base.customers * mess.SUBSCRIBER_RATE))
        self.segments = [base]
        for k in range(1, batches + 1):
            self.segments.append(self._next_batch(k))

    @property
    def base(self) -> Segment:
        return self.segments[0]

    def _next_batch(self, k: int) -> Segment:
        prev, base = self.segments[-1], self.segments[0]
        start_day = prev.end_us // US_PER_DAY
        target = mess.BATCH_SHARE * base.order_curve.mass
        days = 1
        while window_mass(start_day, days) < target:
            days += 1
        mass = window_mass(start_day, days)
        orders = max(1, round(base.orders * mass / base.order_curve.mass))
        customers = max(1, round(base.customers * mass / base.customer_curve.mass))
        return Segment(k, prev.end_us, prev.end_us + days * US_PER_DAY,
                       prev.first_order_id + prev.orders, orders,
                       prev.first_customer_id + prev.customers, customers)
