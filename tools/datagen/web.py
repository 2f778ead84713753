"""web.sessions and web.events for the stretch of time covered by one block of orders.

Every order is preceded by a purchasing session of its customer (page views, one
add_to_cart per line, checkout, purchase carrying the order id). Around them, anonymous and
logged-in visitors browse without buying, some dropping off after add_to_cart or checkout.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from datagen import columns as col
from datagen import mess, names
from datagen.catalog import CATEGORY_NAMES
from datagen.marketing import CHANNELS as AD_CHANNELS
from datagen.orders import OrderCore
from datagen.plan import CHILD_ID_STRIDE, ORDER_BLOCK
from datagen.reference import COUNTRIES, COUNTRY_SHARE, US_PER_SECOND
from datagen.rng import Stream, lognormal_seconds, mix64, pick, rng_for, uniform_int
from datagen.world import World

EVENT_TYPES = ["page_view", "add_to_cart", "checkout", "purchase"]
PAGE_VIEW, ADD_TO_CART, CHECKOUT, PURCHASE = range(4)
DEVICES = list(mess.DEVICES)
TRAFFIC = list(mess.TRAFFIC_CHANNELS)
STATIC_PATHS = ["/", "/search", "/checkout", "/checkout/confirmation", "/blog/gift-guide"]
HOME, SEARCH, CHECKOUT_PATH, CONFIRMATION_PATH, BLOG = range(len(STATIC_PATHS))
S = US_PER_SECOND


class Paths:
    """The page-path vocabulary: static pages, category pages, one page per product."""

    def __init__(self, world: World):
        self.category0 = len(STATIC_PATHS)
        self.product0 = self.category0 + len(CATEGORY_NAMES)
        values = STATIC_PATHS + [f"/c/{c.lower()}" for c in CATEGORY_NAMES] + [f"/p/{s.lower()}" for s in world.catalog.sku]
        self.values = pa.array(values, type=pa.string())
        self.product_category = world.catalog.category

    def product(self, idx):
        return self.product0 + idx

    def category(self, cat):
        return self.category0 + cat


class _Utm:
    """utm_* vocabularies: per traffic channel, the sources, medium and campaigns it uses."""

    def __init__(self, world: World):
        self.sources = [s for ch in TRAFFIC for s in names.UTM_SOURCES.get(ch, [])]
        self.mediums = sorted(set(names.UTM_MEDIUMS.values()))
        self.campaigns = list(world.campaigns.names) + names.EMAIL_CAMPAIGNS
        src_sizes, src_offsets, campaign_lists = [], [], []
        offset = 0
        for ch in TRAFFIC:
            k = len(names.UTM_SOURCES.get(ch, []))
            src_sizes.append(k)
            src_offsets.append(offset)
            offset += k
            if ch in AD_CHANNELS:
                campaign_lists.append(list(world.campaigns.of_channel[ch]))
            elif ch == "email":
                base = len(world.campaigns.names)
                campaign_lists.append(list(range(base, base + len(names.EMAIL_CAMPAIGNS))))
            else:
                campaign_lists.append([])
        self.src_size, self.src_offset = np.array(src_sizes), np.array(src_offsets)
        self.medium = np.array([self.mediums.index(names.UTM_MEDIUMS[ch]) if ch in names.UTM_MEDIUMS else -1 for ch in TRAFFIC])
        flat = [c for lst in campaign_lists for c in lst]
        self.cmp_flat = np.array(flat if flat else [0])
        self.cmp_size = np.array([len(lst) for lst in campaign_lists])
        self.cmp_offset = np.concatenate([[0], np.cumsum(self.cmp_size)[:-1]])

    def columns(self, rng, channel):
        n = len(channel)
        src_size = self.src_size[channel]
        source = self.src_offset[channel] + (rng.random(n) * np.maximum(src_size, 1)).astype(np.int64)
        cmp_size = self.cmp_size[channel]
        campaign = self.cmp_flat[np.minimum(self.cmp_offset[channel] + (rng.random(n) * np.maximum(cmp_size, 1)).astype(np.int64),
                                            len(self.cmp_flat) - 1)]
        medium = self.medium[channel]
        return (col.dict_strings(source, self.sources, null=src_size == 0),
                col.dict_strings(np.maximum(medium, 0), self.mediums, null=medium < 0),
                col.dict_strings(campaign, self.campaigns, null=cmp_size == 0))


_CACHE: dict[int, tuple[Paths, _Utm]] = {}


def _vocab(world: World) -> tuple[Paths, _Utm]:
    key = id(world)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = (Paths(world), _Utm(world))
    return _CACHE[key]


def web_tables(world: World, core: OrderCore) -> tuple[pa.Table, pa.Table]:
    """(sessions, events) of the block; hidden ``__t`` on both (session start, event time)."""
    rng = rng_for(world.seed, Stream.ORDERS, core.seg.number, core.block, 5)
    paths, utm = _vocab(world)
    seg, n = core.seg, core.n
    catalog = world.catalog

    # --- purchasing sessions: one per order ---------------------------------------------
    n_lines = np.bincount(core.line_order, minlength=n)
    line_start = np.concatenate([[0], np.cumsum(n_lines)[:-1]])
    p_pv = np.minimum(1 + rng.poisson(0.8, n), 5)
    p_counts = np.stack([p_pv, n_lines, np.ones(n, int), np.ones(n, int)], axis=1)
    p_sess, p_type, p_pos = _slots(p_counts)
    # Product pages viewed and added are the order's own lines.
    k = p_pos - p_counts[p_sess, 0]  # index among add_to_cart events
    line = line_start[p_sess] + np.where(p_type == ADD_TO_CART, k, (rng.random(len(p_sess)) * n_lines[p_sess]).astype(np.int64))
    p_product = core.line_product[np.minimum(line, len(core.line_product) - 1)]
    p_path = _page_paths(rng, paths, p_type, p_pos, p_product)
    p_has_product = (p_type == ADD_TO_CART) | (p_path >= paths.product0)
    p_offset = _offsets(rng, p_sess, p_type, p_pos)
    purchase_at = core.placed_utc + uniform_int(rng, 0, 2 * S, n)
    last_offset = p_offset[np.cumsum(p_counts.sum(axis=1)) - 1]
    p_start = purchase_at - last_offset

    # --- browsing sessions, stratified over the block's stretch of time ------------------
    q0, q1 = seg.block_quantiles(core.block)
    first, stop = round(seg.browse_sessions * q0), round(seg.browse_sessions * q1)
    b = stop - first
    b_start = seg.order_curve.time_at((first + np.arange(b) + rng.random(b)) / max(seg.browse_sessions, 1))
    logged_in = rng.random(b) < mess.BROWSE_LOGGED_IN_SHARE
    visitor = world.pick_visitors(rng, b_start)
    b_customer = world.customer_id[visitor]
    b_country = np.where(logged_in, world.customer_country[visitor], pick(rng, b, COUNTRY_SHARE))
    b_pv = pick(rng, b, [0.55, 0.30, 0.15]) + 1
    b_atc = (rng.random(b) < mess.BROWSE_ADD_TO_CART_RATE).astype(int)
    b_chk = b_atc * (rng.random(b) < mess.BROWSE_CHECKOUT_RATE)
    b_pv = np.where(b_pv + b_atc + b_chk > 4, b_pv - 1, b_pv)
    b_counts = np.stack([b_pv, b_atc, b_chk, np.zeros(b, int)], axis=1)
    b_sess, b_type, b_pos = _slots(b_counts)
    b_product = catalog.pick(rng, b_start[b_sess])
    b_path = _page_paths(rng, paths, b_type, b_pos, b_product)
    b_has_product = (b_type == ADD_TO_CART) | (b_path >= paths.product0)
    b_offset = _offsets(rng, b_sess, b_type, b_pos)

    # --- merge, order sessions by start time, number them -----------------------------
    start = np.concatenate([p_start, b_start])
    counts = np.concatenate([p_counts.sum(axis=1), b_counts.sum(axis=1)])
    customer = np.concatenate([core.customer_id, b_customer])
    has_customer = np.concatenate([np.ones(n, bool), logged_in])
    country = np.concatenate([core.country, b_country])
    total_sessions = n + b
    device = pick(rng, total_sessions, mess.DEVICES)
    channel = pick(rng, total_sessions, mess.TRAFFIC_CHANNELS)
    source, medium, campaign = utm.columns(rng, channel)
    pre_key = core.global_block * CHILD_ID_STRIDE + np.arange(total_sessions)
    anon = np.where(has_customer, mix64(world.seed, 1, customer, device), mix64(world.seed, 2, pre_key))

    ev_sess = np.concatenate([p_sess, n + b_sess])
    ev_type = np.concatenate([p_type, b_type])
    ev_path = np.concatenate([p_path, b_path])
    ev_product = np.concatenate([p_product, b_product])
    ev_has_product = np.concatenate([p_has_product, b_has_product])
    ev_time = start[ev_sess] + np.concatenate([p_offset, b_offset])
    ev_order = np.where(ev_type == PURCHASE, core.id[np.minimum(ev_sess, n - 1)], 0)

    perm = np.argsort(start, kind="stable")
    rank = np.empty(total_sessions, dtype=np.int64)
    rank[perm] = np.arange(total_sessions)
    session_id = core.global_block * CHILD_ID_STRIDE + rank + 1
    ev_first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sorted_counts = counts[perm]
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(sorted_counts) - sorted_counts, sorted_counts)
    ev_perm = np.repeat(ev_first[perm], sorted_counts) + within
    landing = ev_path[ev_first]

    s_loaded = start + lognormal_seconds(rng, total_sessions, 900, 1.0, 30, mess.LOAD_DELAY_MAX_SECONDS)
    sessions = pa.table({
        "id": pa.array(session_id[perm]),
        "anonymous_id": col.hex16(anon[perm]),
        "customer_id": pa.array(customer[perm], mask=~has_customer[perm]),
        "started_at": col.ts(start[perm]),
        "device": col.dict_strings(device[perm], DEVICES),
        "utm_source": source.take(pa.array(perm)),
        "utm_medium": medium.take(pa.array(perm)),
        "utm_campaign": campaign.take(pa.array(perm)),
        "country": col.dict_strings(country[perm], [c.code for c in COUNTRIES]),
        "landing_path": col.dict_strings(landing[perm], paths.values),
        "_loaded_at": col.ts(s_loaded[perm]),
        "__t": pa.array(start[perm]),
    })
    e = ev_perm
    e_count = len(e)
    e_time = ev_time[e]
    e_loaded = e_time + lognormal_seconds(rng, e_count, 600, 1.0, 30, mess.LOAD_DELAY_MAX_SECONDS)
    events = pa.table({
        "id": pa.array(core.global_block * CHILD_ID_STRIDE + np.arange(e_count, dtype=np.int64) + 1),
        "session_id": pa.array(session_id[ev_sess[e]]),
        "event_type": col.dict_strings(ev_type[e], EVENT_TYPES),
        "occurred_at": col.ts(e_time),
        "page_path": col.dict_strings(ev_path[e], paths.values),
        "product_id": pa.array(catalog.id[ev_product[e]], mask=~ev_has_product[e]),
        "order_id": pa.array(ev_order[e], mask=ev_type[e] != PURCHASE),
        "_loaded_at": col.ts(e_loaded),
        "__t": pa.array(e_time),
    })
    assert b <= 4 * ORDER_BLOCK and e_count < CHILD_ID_STRIDE
    return sessions, events


def _slots(counts: np.ndarray):
    """Expand per-session counts of (page_view, add_to_cart, checkout, purchase) into one
    slot per event: (session index, event type, position in session)."""
    per_session = counts.sum(axis=1)
    sess = np.repeat(np.arange(len(counts)), per_session)
    pos = np.arange(len(sess)) - np.repeat(np.cumsum(per_session) - per_session, per_session)
    bounds = np.cumsum(counts, axis=1)[sess]
    etype = (pos[:, None] >= bounds[:, :3]).sum(axis=1)
    return sess, etype, pos


def _page_paths(rng, paths: Paths, etype, pos, product):
    """Landing pages are the home page, a category or a product; later views are mostly
    product pages; cart events are on product pages."""
    m = len(etype)
    u = rng.random(m)
    category = paths.category(paths.product_category[product])
    view = np.where(pos == 0,
                    np.where(u < 0.40, HOME, np.where(u < 0.62, category, np.where(u < 0.66, BLOG, paths.product(product)))),
                    np.where(u < 0.75, paths.product(product), np.where(u < 0.92, category, SEARCH)))
    return np.select([etype == PAGE_VIEW, etype == ADD_TO_CART, etype == CHECKOUT],
                     [view, paths.product(product), CHECKOUT_PATH], CONFIRMATION_PATH)


def _offsets(rng, sess, etype, pos):
    """Microseconds from session start to each event: reading time before each step."""
    m = len(sess)
    low = np.array([10, 10, 30, 20])[etype] * S
    high = np.array([180, 120, 240, 180])[etype] * S
    gap = np.where(pos == 0, 0, low + (rng.random(m) * (high - low)).astype(np.int64))
    cs = np.cumsum(gap)
    first = np.flatnonzero(pos == 0)
    per_session = np.diff(np.append(first, m))
    return cs - np.repeat(cs[first], per_session)
