"""Reference data: countries, currencies, time zones and the daily FX rates.

These are the same facts the dbt seeds carry (``tally-datagen seeds`` writes them), so the
raw data and the warehouse agree on, e.g., which rate converted an order line.

The FX walk uses its own fixed seed, not ``--seed``: the committed ``seeds/fx_rates.csv``
must match whatever data set is generated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np

from datagen.rng import Stream, rng_for

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    minor_units: int
    usd_level: float  # typical USD per unit the FX walk reverts to
    daily_vol: float  # daily volatility of the log rate


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    region: str
    currency: str
    time_zone: str
    share: float  # of customers and orders
    shipping_fee_minor: int  # flat fee in the country's currency
    phone_prefix: str


CURRENCIES: list[Currency] = [
    Currency("USD", "US Dollar", 2, 1.0, 0.0),
    Currency("EUR", "Euro", 2, 1.08, 0.0040),
    Currency("GBP", "Pound Sterling", 2, 1.26, 0.0042),
    Currency("JPY", "Japanese Yen", 0, 0.0070, 0.0050),
    Currency("CAD", "Canadian Dollar", 2, 0.74, 0.0035),
    Currency("AUD", "Australian Dollar", 2, 0.66, 0.0050),
    Currency("SEK", "Swedish Krona", 2, 0.095, 0.0050),
]

COUNTRIES: list[Country] = [
    Country("US", "United States", "North America", "USD", "America/New_York", 0.34, 599, "+1"),
    Country("CA", "Canada", "North America", "CAD", "America/Toronto", 0.08, 899, "+1"),
    Country("GB", "United Kingdom", "Europe", "GBP", "Europe/London", 0.13, 399, "+44"),
    Country("DE", "Germany", "Europe", "EUR", "Europe/Berlin", 0.12, 495, "+49"),
    Country("FR", "France", "Europe", "EUR", "Europe/Paris", 0.08, 495, "+33"),
    Country("NL", "Netherlands", "Europe", "EUR", "Europe/Amsterdam", 0.06, 495, "+31"),
    Country("SE", "Sweden", "Europe", "SEK", "Europe/Stockholm", 0.05, 4900, "+46"),
    Country("JP", "Japan", "Asia Pacific", "JPY", "Asia/Tokyo", 0.07, 600, "+81"),
    Country("AU", "Australia", "Asia Pacific", "AUD", "Australia/Sydney", 0.07, 995, "+61"),
]

CURRENCY_CODES = [c.code for c in CURRENCIES]
COUNTRY_CODES = [c.code for c in COUNTRIES]
TIME_ZONES = [c.time_zone for c in COUNTRIES]
CURRENCY_INDEX = {code: i for i, code in enumerate(CURRENCY_CODES)}
# Country index -> currency index, time zone index is the country index itself.
COUNTRY_CURRENCY = np.array([CURRENCY_INDEX[c.currency] for c in COUNTRIES])
COUNTRY_SHARE = np.array([c.share for c in COUNTRIES])
MINOR_UNITS = np.array([c.minor_units for c in CURRENCIES])
MINOR_FACTOR = 10.0 ** MINOR_UNITS

# Monthly subscription prices per currency (minor units): round local price points around
# 9 and 19 USD.
SUBSCRIPTION_PRICES = {
    "basic": {"USD": 900, "EUR": 899, "GBP": 799, "JPY": 1400, "CAD": 1199, "AUD": 1399, "SEK": 9900},
    "plus": {"USD": 1900, "EUR": 1799, "GBP": 1599, "JPY": 2900, "CAD": 2499, "AUD": 2899, "SEK": 19900},
}


def epoch_us(day: str | dt.date) -> int:
    """Microseconds since the Unix epoch of midnight UTC of an ISO date."""
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return (d - dt.date(1970, 1, 1)).days * US_PER_DAY


# ----------------------------------------------------------------------------------------
# Time zones

_TZ_FIRST_YEAR, _TZ_LAST_YEAR = 2019, 2035
_TZ_KEY_SHIFT = 1 << 52  # larger than any microsecond timestamp we produce


class TimeZones:
    """Vectorised UTC <-> local wall-clock conversion for the countries' time zones.

    Offsets (with daylight saving) are taken from the system tz database once, as a table of
    transitions per zone; conversion is then a single ``searchsorted``.
    """

    def __init__(self, zones: list[str] = TIME_ZONES):
        keys, offsets = [], []
        for i, name in enumerate(zones):
            t, o = _transitions(name)
            keys.append(i * _TZ_KEY_SHIFT + t)
            offsets.append(o)
        self._keys = np.concatenate(keys)
        self._offsets = np.concatenate(offsets)

    def offset(self, utc_us: np.ndarray, zone: np.ndarray) -> np.ndarray:
        """UTC offset (microseconds) of each instant in its zone."""
        idx = np.searchsorted(self._keys, zone.astype(np.int64) * _TZ_KEY_SHIFT + utc_us, side="right") - 1
        return self._offsets[idx]

    def to_local(self, utc_us: np.ndarray, zone: np.ndarray) -> np.ndarray:
        return utc_us + self.offset(utc_us, zone)

    def to_utc(self, local_us: np.ndarray, zone: np.ndarray) -> np.ndarray:
        """Inverse of `to_local` (for wall-clock times that exist and are unambiguous)."""
        guess = local_us - self.offset(local_us, zone)
        return local_us - self.offset(guess, zone)


def _transitions(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(start instants, offsets) in microseconds for one zone; first start is 0 (1970)."""
    tz = ZoneInfo(name)

    def off(ts: int) -> int:
        return int(dt.datetime.fromtimestamp(ts, tz).utcoffset().total_seconds())

    start = int(dt.datetime(_TZ_FIRST_YEAR, 1, 1, tzinfo=dt.timezone.utc).timestamp())
    end = int(dt.datetime(_TZ_LAST_YEAR, 1, 1, tzinfo=dt.timezone.utc).timestamp())
    times, offsets = [0], [off(start)]
    day = 86_400
    for t in range(start, end, day):
        if off(t + day) != offsets[-1]:
            lo, hi = t, t + day  # offset changes in (lo, hi]: bisect to the second
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if off(mid) == offsets[-1]:
                    lo = mid
                else:
                    hi = mid
            times.append(hi)
            offsets.append(off(hi))
    return np.array(times, dtype=np.int64) * US_PER_SECOND, np.array(offsets, dtype=np.int64) * US_PER_SECOND


# ----------------------------------------------------------------------------------------
# FX

FX_SEED = 20221201
FX_FIRST_DATE = dt.date(2022, 12, 1)
FX_LAST_DATE = dt.date(2026, 6, 30)
FX_DECIMALS = 6
_FX_REVERSION = 0.01  # daily pull of the log rate back to its level


class Fx:
    """Daily USD-per-unit rates on business days, as published in ``seeds/fx_rates.csv``.

    Lookups for weekends and holidays use the previous business day's rate (the warehouse
    forward-fills the same way); dates outside the published range use the nearest end.
    """

    def __init__(self):
        days = np.arange(np.datetime64(FX_FIRST_DATE), np.datetime64(FX_LAST_DATE) + 1)
        self.business_days = days[np.is_busday(days)]
        rates = np.empty((len(self.business_days), len(CURRENCIES)))
        for j, cur in enumerate(CURRENCIES):
            rates[:, j] = _walk(cur, j, len(self.business_days))
        self.business_rates = np.round(rates, FX_DECIMALS)
        # Calendar-day table, forward-filled, for vectorised lookups.
        pos = np.searchsorted(self.business_days, days, side="right") - 1
        self._daily = self.business_rates[np.maximum(pos, 0)]
        self._first_day = int(days[0].astype(np.int64))

    def usd_per_unit(self, currency: np.ndarray, utc_us: np.ndarray) -> np.ndarray:
        """Rate of each currency index on the UTC date of each instant."""
        day = utc_us // US_PER_DAY - self._first_day
        day = np.clip(day, 0, len(self._daily) - 1)
        return self._daily[day, currency]

    def from_usd_cents(self, cents: np.ndarray, currency: np.ndarray, utc_us: np.ndarray) -> np.ndarray:
        """Convert USD cents to minor units of `currency`, rounded half away from zero."""
        amount = cents / 100.0 / self.usd_per_unit(currency, utc_us) * MINOR_FACTOR[currency]
        return np.floor(amount + 0.5).astype(np.int64)

    def convert_minor(self, minor: np.ndarray, src: np.ndarray, dst: np.ndarray, utc_us: np.ndarray) -> np.ndarray:
        """Convert minor units between currencies through USD at the day's rates."""
        usd = minor / MINOR_FACTOR[src] * self.usd_per_unit(src, utc_us)
        return np.floor(usd / self.usd_per_unit(dst, utc_us) * MINOR_FACTOR[dst] + 0.5).astype(np.int64)

    def rows(self):
        """(date, currency code, rate) for the seed file, date-major."""
        for i, day in enumerate(self.business_days):
            for j, cur in enumerate(CURRENCIES):
                yield str(day), cur.code, float(self.business_rates[i, j])


def _walk(cur: Currency, index: int, n: int) -> np.ndarray:
    """Mean-reverting random walk of the log rate around the currency's usual level."""
    if cur.daily_vol == 0:
        return np.ones(n)
    rng = rng_for(FX_SEED, Stream.FX, index)
    level = np.log(cur.usd_level)
    shocks = cur.daily_vol * rng.standard_normal(n)
    x = np.empty(n)
    x[0] = level + shocks[0]
    # A sequential recurrence over ~900 business days per currency; cheap and exact.
    for i in range(1, n):
        x[i] = x[i - 1] + _FX_REVERSION * (level - x[i - 1]) + shocks[i]
    return np.exp(x)
