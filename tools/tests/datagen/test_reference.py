"""Seeds, FX, time zones and the small deterministic building blocks."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen.commands import write_seeds
from datagen.plan import BASE_END_US, BASE_START_US, Plan
from datagen.reference import TIME_ZONES, TimeZones, epoch_us
from datagen.rng import flags, rng_for, Stream
from datagen.timeline import VolumeCurve

REPO = Path(__file__).resolve().parents[3]


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_committed_seeds_are_current(tmp_path):
    write_seeds(str(tmp_path), echo=lambda *_: None)
    for name in ("currencies.csv", "countries.csv", "fx_rates.csv"):
        assert (tmp_path / name).read_text() == (REPO / "seeds" / name).read_text(), name


def test_currency_and_country_seeds():
    currencies = {r["currency_code"]: r for r in _read(REPO / "seeds/currencies.csv")}
    assert set(currencies) == {"USD", "EUR", "GBP", "JPY", "CAD", "AUD", "SEK"}
    assert currencies["JPY"]["minor_units"] == "0" and currencies["EUR"]["minor_units"] == "2"
    countries = {r["country_code"]: r for r in _read(REPO / "seeds/countries.csv")}
    assert countries["JP"]["time_zone"] == "Asia/Tokyo" and countries["CA"]["time_zone"] == "America/Toronto"
    assert {r["currency_code"] for r in countries.values()} <= set(currencies)


def test_fx_seed_business_days_only():
    rows = _read(REPO / "seeds/fx_rates.csv")
    dates = sorted({r["rate_date"] for r in rows})
    assert dates[0] == "2022-12-01" and dates[-1] == "2026-06-30"
    assert all(dt.date.fromisoformat(d).weekday() < 5 for d in dates)
    assert len(rows) == 7 * len(dates)
    assert all(float(r["usd_per_unit"]) == 1.0 for r in rows if r["currency_code"] == "USD")
    assert all(len(r["usd_per_unit"].split(".")[1]) <= 6 for r in rows)
    jpy = [float(r["usd_per_unit"]) for r in rows if r["currency_code"] == "JPY"]
    eur = [float(r["usd_per_unit"]) for r in rows if r["currency_code"] == "EUR"]
    assert 0.005 < min(jpy) and max(jpy) < 0.0095 and 0.95 < min(eur) and max(eur) < 1.25


def test_time_zone_conversion_handles_dst():
    tz = TimeZones()
    berlin, sydney = TIME_ZONES.index("Europe/Berlin"), TIME_ZONES.index("Australia/Sydney")
    summer, winter = epoch_us("2024-07-01"), epoch_us("2024-01-15")
    hours = tz.offset(np.array([summer, winter, summer, winter]), np.array([berlin, berlin, sydney, sydney])) // 3_600_000_000
    assert hours.tolist() == [2, 1, 10, 11]
    local = tz.to_local(np.array([summer]), np.array([berlin]))
    assert tz.to_utc(local, np.array([berlin]))[0] == summer


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1, exclude_max=True), min_size=2, max_size=50))
def test_volume_curve_is_monotonic_and_in_range(qs):
    curve = VolumeCurve(BASE_START_US, BASE_END_US)
    t = curve.time_at(np.sort(np.array(qs)))
    assert (np.diff(t) >= 0).all() and t.min() >= BASE_START_US and t.max() < BASE_END_US


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 500), st.floats(0, 0.05))
def test_flags_respect_minimum_and_eligibility(seed, n, rate):
    rng = rng_for(seed, Stream.ORDERS)
    eligible = np.arange(n) % 3 == 0
    f = flags(rng, n, rate, eligible=eligible, minimum=1)
    assert not (f & ~eligible).any() and f.sum() >= 1


def test_rng_streams_are_independent_of_each_other():
    a = rng_for(1, Stream.ORDERS, 0, 5).random(3)
    b = rng_for(1, Stream.ORDERS, 0, 6).random(3)
    assert not np.allclose(a, b) and np.allclose(a, rng_for(1, Stream.ORDERS, 0, 5).random(3))


def test_batches_are_about_one_percent_and_contiguous():
    plan = Plan(1.0, batches=3)
    for prev, seg in zip(plan.segments, plan.segments[1:]):
        assert seg.start_us == prev.end_us and seg.first_order_id == prev.first_order_id + prev.orders
        assert 0.009 <= seg.orders / plan.base.orders <= 0.013
