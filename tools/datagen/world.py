"""The shared state every block reads: who exists when, the catalogue, FX and time zones.

Built once per run in the parent process (cheap: customer *cores* only, not their
personal data) and inherited by worker processes.
"""

from __future__ import annotations

import numpy as np

from datagen.catalog import Catalog
from datagen.customers import CustomerCore, customer_core
from datagen.marketing import Campaigns
from datagen.plan import Plan
from datagen.reference import COUNTRIES, Fx, TimeZones
from datagen.timeline import is_last_day_of_month

# Share of orders placed by a customer who signed up just before (their first orders);
# the rest go to any customer who already exists.
NEW_CUSTOMER_ORDER_SHARE = 0.10


class World:
    def __init__(self, seed: int, plan: Plan):
        self.seed, self.plan = seed, plan
        self.tz = TimeZones()
        self.fx = Fx()
        self.catalog = Catalog(seed, plan)
        self.campaigns = Campaigns(seed, plan)
        self.customer_cores: dict[tuple[int, int], CustomerCore] = {}
        for seg in plan.segments:
            for b in range(seg.customer_blocks):
                self.customer_cores[seg.number, b] = customer_core(seed, seg, b)
        cores = list(self.customer_cores.values())
        self.customer_id = np.concatenate([c.id for c in cores])
        self.customer_created = np.concatenate([c.created_utc for c in cores])
        self.customer_country = np.concatenate([c.country for c in cores])
        # Ids increase with creation time, so per-country slices stay sorted by time.
        self._by_country = [
            (self.customer_id[self.customer_country == c], self.customer_created[self.customer_country == c])
            for c in range(len(COUNTRIES))
        ]
        self.last_day_share = plan.base.order_curve.day_share(is_last_day_of_month)

    def existing_per_country(self, at_us: np.ndarray) -> np.ndarray:
        """(n, countries) number of accounts created at or before each instant."""
        return np.stack([np.searchsorted(created, at_us, side="right") for _, created in self._by_country], axis=1)

    def pick_orderers(self, rng: np.random.Generator, at_us: np.ndarray, country: np.ndarray) -> np.ndarray:
        """A customer of the given country who exists at each instant (ids)."""
        n = len(at_us)
        recent = rng.random(n) < NEW_CUSTOMER_ORDER_SHARE
        back = rng.geometric(0.35, n) - 1
        u = rng.random(n)
        out = np.empty(n, dtype=np.int64)
        for c, (ids, created) in enumerate(self._by_country):  # over countries, not rows
            rows = np.flatnonzero(country == c)
            if not len(rows):
                continue
            count = np.searchsorted(created, at_us[rows], side="right")
            assert count.min() > 0, "an order was placed in a country without customers"
            idx = np.where(recent[rows], count - 1 - np.minimum(back[rows], count - 1), (u[rows] * count).astype(np.int64))
            out[rows] = ids[idx]
        return out

    def pick_visitors(self, rng: np.random.Generator, at_us: np.ndarray) -> np.ndarray:
        """Indexes of any existing customer at each instant (logged-in browsing)."""
        count = np.searchsorted(self.customer_created, at_us, side="right")
        return np.minimum((rng.random(len(at_us)) * count).astype(np.int64), np.maximum(count - 1, 0))
