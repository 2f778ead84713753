"""shop.products and shop.product_prices: the catalogue and its USD list-price history."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from datagen import columns as col
from datagen import mess, names
from datagen.plan import BASE_END_US, BASE_START_US, PRODUCT_HISTORY_START_US, Plan
from datagen.reference import US_PER_DAY
from datagen.rng import Stream, lognormal_seconds, pick, rng_for

PRE_EXISTING_SHARE = 0.85  # of products launched before START_DATE
ACTIVE_RATE = 0.95
PRICE_PERIODS = {1: 0.35, 2: 0.30, 3: 0.20, 4: 0.15}
MAX_PERIODS = max(PRICE_PERIODS)
NEVER = np.iinfo(np.int64).max

CATEGORY_NAMES = list(names.CATEGORIES)


class Catalog:
    """The product catalogue, built once per run and shared by every block."""

    def __init__(self, seed: int, plan: Plan):
        rng = rng_for(seed, Stream.PRODUCTS)
        n = plan.products
        self.n = n
        n_pre = round(n * PRE_EXISTING_SHARE)
        self.n_pre = n_pre
        created = np.concatenate([
            PRODUCT_HISTORY_START_US + rng.random(n_pre) * (BASE_START_US - PRODUCT_HISTORY_START_US),
            BASE_START_US + rng.random(n - n_pre) * (BASE_END_US - 60 * US_PER_DAY - BASE_START_US),
        ]).astype(np.int64)
        self.created_utc = np.sort(created)
        self.id = np.arange(1, n + 1, dtype=np.int64)
        self.category = pick(rng, n, [v[0] for v in names.CATEGORIES.values()])
        self.active = rng.random(n) < ACTIVE_RATE
        adjective = rng.integers(0, 6, n)
        noun = rng.integers(0, 6, n)
        self.name = [f"{names.CATEGORIES[CATEGORY_NAMES[c]][2][a]} {names.CATEGORIES[CATEGORY_NAMES[c]][3][b]}"
                     for c, a, b in zip(self.category, adjective, noun)]  # catalogue-sized, not row-sized
        self.sku = [f"LG-{CATEGORY_NAMES[c][:3].upper()}-{i:05d}" for c, i in zip(self.category, self.id)]

        popularity = rng.lognormal(0.0, 1.0, n)
        self._cum = np.cumsum(popularity) / popularity.sum()
        self._pre_cum = np.cumsum(popularity[:n_pre]) / popularity[:n_pre].sum()

        # Price history: contiguous periods starting at launch, prices ending in .99.
        typical = np.array([v[1] for v in names.CATEGORIES.values()])[self.category]
        first = _price_point(typical * rng.lognormal(0.0, 0.45, n))
        periods = pick(rng, n, PRICE_PERIODS) + 1
        room = BASE_END_US - US_PER_DAY - (self.created_utc + 30 * US_PER_DAY)
        periods = np.where(room > 0, periods, 1)
        starts = np.full((n, MAX_PERIODS), NEVER, dtype=np.int64)
        starts[:, 0] = self.created_utc
        changes = np.sort(rng.random((n, MAX_PERIODS - 1)), axis=1)
        changes = self.created_utc[:, None] + 30 * US_PER_DAY + (changes * np.maximum(room, 0)[:, None]).astype(np.int64)
        has = np.arange(1, MAX_PERIODS)[None, :] < periods[:, None]
        starts[:, 1:] = np.where(has, changes, NEVER)
        factors = rng.uniform(0.85, 1.20, (n, MAX_PERIODS - 1))
        prices = np.empty((n, MAX_PERIODS), dtype=np.int64)
        prices[:, 0] = first
        for k in range(1, MAX_PERIODS):  # over price periods, not rows
            prices[:, k] = _price_point(prices[:, k - 1] / 100.0 * factors[:, k - 1])
        self.period_start, self.price_cents, self.periods = starts, prices, periods

    def pick(self, rng: np.random.Generator, at_us: np.ndarray) -> np.ndarray:
        """Product indexes by popularity, among products already launched at each instant."""
        m = len(at_us)
        idx = np.minimum(np.searchsorted(self._cum, rng.random(m)), self.n - 1)
        fallback = np.minimum(np.searchsorted(self._pre_cum, rng.random(m)), self.n_pre - 1)
        return np.where(self.created_utc[idx] <= at_us, idx, fallback)

    def price_at(self, idx: np.ndarray, at_us: np.ndarray) -> np.ndarray:
        """USD list price (cents) valid at each instant."""
        period = (at_us[:, None] >= self.period_start[idx, 1:]).sum(axis=1)
        return self.price_cents[idx, period]

    def products_table(self, seed: int) -> pa.Table:
        rng = rng_for(seed, Stream.PRODUCTS, 1)
        return pa.table({
            "id": pa.array(self.id),
            "sku": pa.array(self.sku),
            "name": pa.array(self.name),
            "category": col.dict_strings(self.category, CATEGORY_NAMES),
            "is_active": pa.array(self.active),
            "created_at": col.ts(self.created_utc),
            "_loaded_at": col.ts(_loaded(rng, self.created_utc)),
        })

    def prices_table(self, seed: int) -> pa.Table:
        rng = rng_for(seed, Stream.PRODUCTS, 2)
        has = np.arange(MAX_PERIODS)[None, :] < self.periods[:, None]
        product, period = np.nonzero(has)  # product-major, periods in order
        valid_from = self.period_start[product, period]
        nxt = np.minimum(period + 1, MAX_PERIODS - 1)
        is_last = (period + 1 >= self.periods[product])
        valid_to = np.where(is_last, 0, self.period_start[product, nxt])
        changed = np.where(is_last, valid_from, valid_to)
        return pa.table({
            "id": pa.array(np.arange(1, len(product) + 1, dtype=np.int64)),
            "product_id": pa.array(self.id[product]),
            "currency": col.dict_strings(np.zeros(len(product)), ["USD"]),
            "list_price_minor": pa.array(self.price_cents[product, period]),
            "valid_from": col.ts(valid_from),
            "valid_to": col.ts(valid_to, null=is_last),
            "_loaded_at": col.ts(_loaded(rng, changed)),
        })


def _price_point(dollars: np.ndarray) -> np.ndarray:
    """Round to a whole-dollar-minus-one-cent price point, at least 2.99 USD."""
    return np.maximum(np.round(dollars), 3).astype(np.int64) * 100 - 1


def _loaded(rng, event_us):
    delay = lognormal_seconds(rng, len(event_us), mess.LOAD_DELAY_MEDIAN_SECONDS, 1.2, 20, mess.LOAD_DELAY_MAX_SECONDS)
    return np.minimum(event_us + delay, BASE_END_US - 1)
