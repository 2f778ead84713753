"""When things happen: growth, weekly and seasonal patterns, and time sampling.

Activity (orders, new customers, web traffic) follows one daily weight curve: steady
growth, busier Fridays and weekends, a November/December peak with Black Friday and Cyber
Monday spikes. Within a day, activity follows each country's local hour-of-day profile.

Entities are placed in time by *stratified* sampling of this curve: entity ``i`` of ``n``
gets the time at quantile ``(i + u) / n`` with ``u`` uniform in [0, 1). Times therefore
increase with the entity id (like auto-increment keys), and a block of ids covers a known
stretch of time without looking at any other block.
"""

from __future__ import annotations

import numpy as np

from datagen.reference import COUNTRY_SHARE, US_PER_DAY, US_PER_HOUR

ANNUAL_GROWTH = 1.45
WEEKDAY_FACTOR = np.array([1.00, 0.96, 0.97, 1.00, 1.10, 1.30, 1.25])  # Monday first
MONTH_FACTOR = np.array([0.85, 0.82, 0.92, 0.95, 1.00, 0.95, 0.93, 0.97, 1.00, 1.05, 1.35, 1.50])
BLACK_FRIDAY_FACTOR = 2.2
CYBER_MONDAY_FACTOR = 1.7

# Share of a country's daily activity per local hour (quiet nights, evening peak).
LOCAL_HOUR_PROFILE = np.array([
    0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 2.8, 3.4, 3.8,
    4.2, 4.3, 4.1, 4.0, 4.1, 4.4, 4.9, 5.6, 6.3, 6.0, 4.6, 2.4,
])
LOCAL_HOUR_PROFILE = LOCAL_HOUR_PROFILE / LOCAL_HOUR_PROFILE.sum()
# Standard UTC offsets (hours) of the countries, for the blended UTC hour profile only;
# exact local hours (with DST) are used wherever a row's local time matters.
_STD_OFFSET_HOURS = np.array([-5, -5, 0, 1, 1, 1, 1, 9, 10])

GROWTH_ORIGIN_DAY = int(np.datetime64("2023-01-01").astype(np.int64))


def day_weights(days: np.ndarray) -> np.ndarray:
    """Relative activity of each day (days since the Unix epoch)."""
    days = np.asarray(days, dtype=np.int64)
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]").astype(np.int64) % 12  # 0 = January
    dom = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    w = ANNUAL_GROWTH ** ((days - GROWTH_ORIGIN_DAY) / 365.25)
    w = w * WEEKDAY_FACTOR[weekday] * MONTH_FACTOR[month]
    black_friday = (month == 10) & (weekday == 4) & (dom >= 23) & (dom <= 29)
    cyber_monday = (month == 10) & (weekday == 0) & (dom >= 26)
    w = np.where(black_friday, w * BLACK_FRIDAY_FACTOR, w)
    return np.where(cyber_monday, w * CYBER_MONDAY_FACTOR, w)


def utc_hour_mix() -> np.ndarray:
    """Share of daily activity per UTC hour, blended over the countries."""
    hours = np.arange(24)
    mix = sum(s * LOCAL_HOUR_PROFILE[(hours + o) % 24] for s, o in zip(COUNTRY_SHARE, _STD_OFFSET_HOURS))
    return mix / mix.sum()


class VolumeCurve:
    """The activity curve over [start_us, end_us) (whole UTC days), as an hourly CDF."""

    def __init__(self, start_us: int, end_us: int):
        assert start_us % US_PER_DAY == 0 and end_us % US_PER_DAY == 0 and end_us > start_us
        self.start_us, self.end_us = start_us, end_us
        days = np.arange(start_us // US_PER_DAY, end_us // US_PER_DAY)
        hourly = (day_weights(days)[:, None] * utc_hour_mix()[None, :]).ravel()
        self.mass = float(hourly.sum())  # unnormalised, comparable between curves
        self._cum = np.concatenate([[0.0], np.cumsum(hourly) / self.mass])
        self._cum[-1] = 1.0

    def time_at(self, q: np.ndarray) -> np.ndarray:
        """Instants (UTC microseconds) at quantiles `q` in [0, 1); monotonic in `q`."""
        q = np.asarray(q, dtype=float)
        k = np.clip(np.searchsorted(self._cum, q, side="right") - 1, 0, len(self._cum) - 2)
        lo, hi = self._cum[k], self._cum[k + 1]
        frac = np.where(hi > lo, (q - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)
        t = self.start_us + ((k + np.clip(frac, 0.0, 1.0)) * US_PER_HOUR).astype(np.int64)
        return np.minimum(t, self.end_us - 1)

    def day_share(self, day_mask_fn) -> float:
        """Share of the curve's mass on UTC days selected by `day_mask_fn(days)`."""
        days = np.arange(self.start_us // US_PER_DAY, self.end_us // US_PER_DAY)
        w = day_weights(days)
        return float(w[day_mask_fn(days)].sum() / w.sum())


def is_last_day_of_month(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return d.astype("datetime64[M]") != (d + 1).astype("datetime64[M]")


def window_mass(start_day: int, n_days: int) -> float:
    """Unnormalised mass of whole days, on the same scale as `VolumeCurve.mass`."""
    return float(day_weights(np.arange(start_day, start_day + n_days)).sum())
