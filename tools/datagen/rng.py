"""Deterministic randomness: one independent generator per (seed, stream, block).

Randomness is never drawn from a generator shared across blocks, so the rows of a block do
not depend on how many blocks were generated before it, by which process, or how they are
grouped into files. Helpers here are vectorised; none loops over rows.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """Identifies what a generator is used for; part of every seed sequence."""

    CUSTOMERS_CORE = 1
    CUSTOMERS_DETAIL = 2
    PRODUCTS = 3
    ORDERS = 4
    SUBSCRIPTIONS = 5
    AD_SPEND = 6
    CAMPAIGNS = 7
    DEFECTS = 8
    FX = 9
    HASH = 10


def rng_for(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    """A generator determined only by the seed, the stream and the block keys."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, int(stream), *keys])))


def pick(rng: np.random.Generator, n: int, probs) -> np.ndarray:
    """Draw `n` category indexes with the given probabilities (any sequence or dict values)."""
    p = np.asarray(list(probs.values()) if isinstance(probs, dict) else probs, dtype=float)
    cum = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(p) - 1)


def flags(rng: np.random.Generator, n: int, rate: float, eligible: np.ndarray | None = None,
          minimum: int = 0, pool: np.ndarray | None = None) -> np.ndarray:
    """Bernoulli(rate) flags over `n` entities, restricted to `eligible`.

    At least `minimum` flags are set within `pool` (default: the eligible entities) when
    enough entities qualify, so rare items still occur in tiny data sets. Pass a narrower
    `pool` when the forced ones must also satisfy something else (e.g. be old enough for
    their consequences to fall inside the data window).
    """
    out = rng.random(n) < rate
    if eligible is not None:
        out &= eligible
    if minimum:
        within = np.ones(n, dtype=bool) if eligible is None else eligible.copy()
        if pool is not None:
            within &= pool
        missing = minimum - int((out & within).sum())
        candidates = np.flatnonzero(within & ~out)
        if missing > 0 and len(candidates):
            out[rng.choice(candidates, size=min(missing, len(candidates)), replace=False)] = True
    return out


def uniform_int(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    """Uniform integers in [low, high) as int64 (accepts float bounds, e.g. seconds * 1e6)."""
    return rng.integers(int(low), int(high), size=n, dtype=np.int64)


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(*parts: np.ndarray | int) -> np.ndarray:
    """A stateless 64-bit hash of integer arrays (splitmix64 finaliser, chained).

    Used where a value must be the same wherever it is computed, e.g. the browser id of a
    customer, which appears in many blocks.
    """
    h = np.full(1, 0x9E3779B97F4A7C15, dtype=np.uint64)
    for part in parts:
        # Arrays, never numpy scalars: scalar uint64 overflow warns, array overflow wraps.
        x = np.atleast_1d(np.asarray(part)).astype(np.uint64) + h
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        h = x ^ (x >> np.uint64(31))
    return h


def lognormal_seconds(rng: np.random.Generator, n: int, median: float, sigma: float,
                      low: float, high: float) -> np.ndarray:
    """Delays in microseconds, log-normal around `median` seconds, clipped to [low, high]."""
    seconds = np.clip(median * np.exp(sigma * rng.standard_normal(n)), low, high)
    return (seconds * 1_000_000).astype(np.int64)
