"""marketing.ad_spend: daily spend per campaign and country, in local-currency micros.

Spend follows the expected number of paid-acquired new customers per day and country, so
CAC and ROAS computed in the warehouse land in a plausible range.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from datagen import columns as col
from datagen import names
from datagen.customers import PAID_ACQUISITION_SHARE
from datagen.plan import BASE_START_US, Plan, Segment
from datagen.reference import COUNTRIES, COUNTRY_CURRENCY, COUNTRY_SHARE, CURRENCY_CODES, US_PER_DAY, US_PER_HOUR, Fx
from datagen.rng import Stream, pick, rng_for
from datagen.timeline import day_weights

CHANNELS = ["paid_search", "paid_social", "display", "affiliate"]
CHANNEL_SHARE = [0.40, 0.30, 0.15, 0.15]
_SHORT = {"paid_search": "search", "paid_social": "social", "display": "display", "affiliate": "affiliate"}
PAID_CAC_USD = 250.0  # spend per paid-acquired new customer
CPM_USD = np.array([25.0, 9.0, 3.0, 6.0])  # per channel
CTR = np.array([0.040, 0.012, 0.004, 0.020])


class Campaigns:
    """The campaign list; shared with web sessions, whose utm_campaign names them."""

    def __init__(self, seed: int, plan: Plan):
        rng = rng_for(seed, Stream.CAMPAIGNS)
        k = plan.campaigns
        channel = pick(rng, k, CHANNEL_SHARE)
        channel[: len(CHANNELS)] = np.arange(len(CHANNELS))  # every channel runs something
        self.channel = channel
        self.ids = [f"cmp-{i + 1:04d}" for i in range(k)]
        self.names = []
        for i, c in enumerate(channel):  # one per campaign (tens), not per row
            themes = names.CAMPAIGN_THEMES[CHANNELS[c]]
            self.names.append(f"{_SHORT[CHANNELS[c]]}_{themes[i % len(themes)]}_{i + 1:02d}")
        self.weight = rng.lognormal(0.0, 0.6, k)
        self.of_channel = {ch: np.flatnonzero(channel == j) for j, ch in enumerate(CHANNELS)}


def ad_spend_table(seed: int, plan: Plan, seg: Segment, campaigns: Campaigns, fx: Fx) -> pa.Table:
    """All ad-spend rows of a segment's days (dates x campaigns x countries)."""
    rng = rng_for(seed, Stream.AD_SPEND, seg.number)
    first_day, end_day = seg.start_us // US_PER_DAY, seg.end_us // US_PER_DAY
    days = np.arange(first_day, end_day)
    nd, nk, nc = len(days), len(campaigns.ids), len(COUNTRIES)
    base = plan.base
    # Expected new customers per day under the base customer curve, paid share only.
    new_per_day = base.customers * day_weights(days) / base.customer_curve.mass * PAID_ACQUISITION_SHARE
    budget = PAID_CAC_USD * new_per_day[:, None, None] * COUNTRY_SHARE[None, None, :]
    share = (campaigns.weight / campaigns.weight.sum())[None, :, None]
    spend_usd = budget * share * rng.lognormal(0.0, 0.35, (nd, nk, nc))
    spend_usd = np.maximum(spend_usd, 0.05)

    d, k, c = (a.ravel() for a in np.meshgrid(np.arange(nd), np.arange(nk), np.arange(nc), indexing="ij"))
    usd = spend_usd.ravel()
    day_us = days[d] * US_PER_DAY
    currency = COUNTRY_CURRENCY[c]
    micros = np.floor(usd / fx.usd_per_unit(currency, day_us) * 1e6 + 0.5).astype(np.int64)
    ch = campaigns.channel[k]
    impressions = np.maximum(1, usd / CPM_USD[ch] * 1000 * rng.lognormal(0.0, 0.2, len(usd))).astype(np.int64)
    clicks = np.minimum(impressions, (impressions * CTR[ch] * rng.lognormal(0.0, 0.25, len(usd))).astype(np.int64))
    # Platforms report the next morning.
    loaded = day_us + US_PER_DAY + (rng.uniform(1, 10, len(usd)) * US_PER_HOUR).astype(np.int64)
    loaded = np.minimum(loaded, seg.end_us - 1)
    # Ids continue across segments: position in the (date, campaign, country) grid.
    day_offset = first_day - BASE_START_US // US_PER_DAY
    ids = (day_offset + d) * (nk * nc) + k * nc + c + 1
    return pa.table({
        "id": pa.array(ids.astype(np.int64)),
        "date": pa.array(days[d].astype(np.int32), type=pa.int32()).view(pa.date32()),
        "channel": col.dict_strings(ch, CHANNELS),
        "campaign_id": col.dict_strings(k, campaigns.ids),
        "campaign_name": col.dict_strings(k, campaigns.names),
        "country": col.dict_strings(c, [x.code for x in COUNTRIES]),
        "currency": col.dict_strings(currency, CURRENCY_CODES),
        "spend_micros": pa.array(micros),
        "impressions": pa.array(impressions),
        "clicks": pa.array(clicks),
        "_loaded_at": col.ts(loaded),
    })
