"""billing.subscriptions: monthly plans, one row per subscription in its latest state."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from datagen import columns as col
from datagen import mess
from datagen.plan import BASE_END_US, BASE_START_US, Plan
from datagen.reference import COUNTRY_CURRENCY, CURRENCY_CODES, SUBSCRIPTION_PRICES, US_PER_DAY, US_PER_HOUR
from datagen.rng import Stream, flags, lognormal_seconds, rng_for
from datagen.world import World

PLANS = ["basic", "plus"]
US_PER_MONTH = int(30.44 * US_PER_DAY)
PRICE_MINOR = np.array([[SUBSCRIPTION_PRICES[p][c] for c in CURRENCY_CODES] for p in PLANS])


def subscriptions_table(world: World, plan: Plan) -> pa.Table:
    """Subscriptions of base customers, started across the period, with pauses, resumes
    and ~4% monthly churn. State as of the base cut-off (later changes are not delivered)."""
    rng = rng_for(world.seed, Stream.SUBSCRIPTIONS)
    n_base = plan.base.customers
    n = min(plan.subscriptions, n_base)
    minimum = mess.MIN_PER_BLOCK
    who = np.sort(rng.choice(n_base, size=n, replace=False))  # customer indexes (id - 1)
    earliest = np.maximum(world.customer_created[who], BASE_START_US)
    span = np.maximum(BASE_END_US - 7 * US_PER_DAY - earliest, US_PER_HOUR)
    started = earliest + (rng.random(n) * span).astype(np.int64)
    order = np.argsort(started, kind="stable")  # ids follow sign-up order
    who, started = who[order], started[order]

    plus = rng.random(n) < mess.PLUS_PLAN_SHARE
    currency = COUNTRY_CURRENCY[world.customer_country[who]]
    price = PRICE_MINOR[plus.astype(int), currency]
    # Constant monthly hazard -> exponential lifetime; force a few churned for tiny data.
    lifetime = (rng.exponential(1.0 / mess.MONTHLY_CHURN, n) * US_PER_MONTH).astype(np.int64)
    cancelled_at = started + lifetime
    old = started < BASE_END_US - 90 * US_PER_DAY
    forced = flags(rng, n, 0.0, minimum=minimum, pool=old)
    cancelled_at = np.where(forced, started + (rng.uniform(0.2, 0.9, n) * (BASE_END_US - started)).astype(np.int64), cancelled_at)
    cancelled = cancelled_at < BASE_END_US
    horizon = np.where(cancelled, cancelled_at, BASE_END_US)
    paused = flags(rng, n, mess.PAUSE_RATE, eligible=horizon - started > 30 * US_PER_DAY, minimum=minimum)
    paused_at = started + (rng.uniform(0.1, 0.6, n) * (horizon - started)).astype(np.int64)
    resumed_at = paused_at + (rng.uniform(7, 90, n) * US_PER_DAY).astype(np.int64)
    resumed = flags(rng, n, mess.RESUME_SHARE, eligible=paused & (resumed_at < horizon), minimum=minimum)

    latest = np.maximum.reduce([started, np.where(paused, paused_at, 0), np.where(resumed, resumed_at, 0),
                                np.where(cancelled, cancelled_at, 0)])
    delay = lognormal_seconds(rng, n, 900, 1.0, 30, mess.LOAD_DELAY_MAX_SECONDS)
    return pa.table({
        "id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "customer_id": pa.array(world.customer_id[who]),
        "plan": col.dict_strings(plus.astype(int), PLANS),
        "price_minor": pa.array(price.astype(np.int64)),
        "currency": col.dict_strings(currency, CURRENCY_CODES),
        "started_at": col.ts(started),
        "paused_at": col.ts(paused_at, null=~paused),
        "resumed_at": col.ts(resumed_at, null=~resumed),
        "cancelled_at": col.ts(cancelled_at, null=~cancelled),
        "_loaded_at": col.ts(np.minimum(latest + delay, BASE_END_US - 1)),
    })
