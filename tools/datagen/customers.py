"""shop.customers: accounts with personal data, test/internal accounts and re-deliveries.

Generation is split in two so other tables can cheaply know *who exists when*:
`customer_core` draws only id, creation time and country (the World keeps these for all
customers), `customer_table` adds the personal data of one block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datagen import columns as col
from datagen import mess, names
from datagen.plan import CUSTOMER_BLOCK, Segment
from datagen.reference import COUNTRIES, COUNTRY_SHARE, TIME_ZONES, US_PER_DAY, US_PER_HOUR, TimeZones
from datagen.rng import Stream, flags, lognormal_seconds, pick, rng_for

ACCOUNT_TYPES = ["customer", "test", "internal"]
ACQUISITION_CHANNELS = {"organic": 0.34, "paid_search": 0.20, "paid_social": 0.15, "email": 0.08,
                        "referral": 0.13, "affiliate": 0.10}
PAID_ACQUISITION_SHARE = sum(ACQUISITION_CHANNELS[c] for c in ("paid_search", "paid_social", "affiliate"))


@dataclass
class CustomerCore:
    id: np.ndarray
    created_utc: np.ndarray
    country: np.ndarray  # index into reference.COUNTRIES


def customer_core(seed: int, seg: Segment, block: int) -> CustomerCore:
    """Ids, creation instants (increasing with id) and countries of one customer block."""
    rng = rng_for(seed, Stream.CUSTOMERS_CORE, seg.number, block)
    lo = block * CUSTOMER_BLOCK
    n = min(CUSTOMER_BLOCK, seg.customers - lo)
    i = np.arange(lo, lo + n)
    created = seg.customer_curve.time_at((i + rng.random(n)) / seg.customers)
    country = pick(rng, n, COUNTRY_SHARE)
    if seg.number == 0 and block == 0:
        # The very first accounts cover every country, so each market has customers
        # before the first order can be placed there.
        k = min(len(COUNTRIES), n)
        country[:k] = np.arange(k)
    return CustomerCore(seg.first_customer_id + i, created, country)


def customer_table(seed: int, seg: Segment, block: int, core: CustomerCore, tz: TimeZones) -> pa.Table:
    """The rows of one customer block: one per account plus re-deliveries.

    Hidden columns (dropped by the writer): ``__redelivery`` marks the second delivery.
    """
    rng = rng_for(seed, Stream.CUSTOMERS_DETAIL, seg.number, block)
    n = len(core.id)
    country = core.country
    minimum = mess.MIN_PER_BLOCK

    is_test = flags(rng, n, mess.TEST_ACCOUNT_RATE, minimum=minimum)
    is_internal = flags(rng, n, mess.INTERNAL_ACCOUNT_RATE, eligible=~is_test, minimum=minimum)
    account = np.where(is_test, 1, np.where(is_internal, 2, 0))

    first, last, first_slug, last_slug = _names(rng, country)
    full_name = col.concat(first, " ", last)
    email = _emails(rng, core.id, first_slug, last_slug, is_test, is_internal)
    phone = _phones(rng, country, null=rng.random(n) < mess.NULL_PHONE_RATE)
    street, city, postal = _addresses(rng, country, null_postal=rng.random(n) < mess.NULL_POSTAL_CODE_RATE)
    channel = pick(rng, n, ACQUISITION_CHANNELS)
    channel_null = rng.random(n) < mess.NULL_ACQUISITION_CHANNEL_RATE
    opt_in = rng.random(n) < mess.MARKETING_OPT_IN_RATE
    created_local = tz.to_local(core.created_utc, country)
    loaded = _loaded(rng, core.created_utc, seg.end_us)

    base = {
        "id": pa.array(core.id),
        "email": email,
        "full_name": full_name,
        "phone": phone,
        "address_line1": street,
        "city": city,
        "postal_code": postal,
        "country": col.dict_strings(country, [c.code for c in COUNTRIES]),
        "account_type": col.dict_strings(account, ACCOUNT_TYPES),
        "acquisition_channel": col.dict_strings(channel, list(ACQUISITION_CHANNELS), null=channel_null),
        "marketing_opt_in": pa.array(opt_in),
        "created_at": col.ts(created_local),
        "time_zone": col.dict_strings(country, TIME_ZONES),
        "updated_at": col.ts(created_local),
        "_loaded_at": col.ts(loaded),
        "__redelivery": pa.array(np.zeros(n, dtype=bool)),
    }
    table = pa.table(base)

    # Re-deliveries: the profile changed later (new address, consent flipped); the source
    # re-sends the whole row with a later updated_at and _loaded_at.
    room = seg.end_us - core.created_utc
    again = flags(rng, n, mess.CUSTOMER_REDELIVERY_RATE, eligible=room > 2 * US_PER_DAY, minimum=minimum)
    idx = np.flatnonzero(again)
    m = len(idx)
    updated_utc = core.created_utc[idx] + US_PER_HOUR + (rng.random(m) * (room[idx] - 2 * US_PER_DAY)).astype(np.int64)
    new_street, new_city, new_postal = _addresses(rng, country[idx], null_postal=rng.random(m) < mess.NULL_POSTAL_CODE_RATE)
    flip = rng.random(m) < 0.3
    again_table = table.take(pa.array(idx))
    again_table = _set(again_table, "address_line1", new_street)
    again_table = _set(again_table, "city", new_city)
    again_table = _set(again_table, "postal_code", new_postal)
    again_table = _set(again_table, "marketing_opt_in", pa.array(np.where(flip, ~opt_in[idx], opt_in[idx])))
    again_table = _set(again_table, "updated_at", col.ts(tz.to_local(updated_utc, country[idx])))
    again_table = _set(again_table, "_loaded_at", col.ts(_loaded(rng, updated_utc, seg.end_us)))
    again_table = _set(again_table, "__redelivery", pa.array(np.ones(m, dtype=bool)))
    return pa.concat_tables([table, again_table])


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, values)


def _loaded(rng: np.random.Generator, event_us: np.ndarray, window_end: int) -> np.ndarray:
    delay = lognormal_seconds(rng, len(event_us), mess.LOAD_DELAY_MEDIAN_SECONDS, 1.2, 20, mess.LOAD_DELAY_MAX_SECONDS)
    return np.minimum(event_us + delay, window_end - 1)


def _by_language(rng, country, lists):
    """Draw one word per row from its country's language list; returns (values, slugs)."""
    n = len(country)
    langs = sorted(set(names.COUNTRY_LANGUAGE.values()))
    vocab = [w for lang in langs for w in lists[lang]]
    offset = np.cumsum([0] + [len(lists[lang]) for lang in langs])
    lang_of_country = np.array([langs.index(names.COUNTRY_LANGUAGE[c.code]) for c in COUNTRIES])
    lang = lang_of_country[country]
    sizes = offset[1:] - offset[:-1]
    code = offset[lang] + (rng.random(n) * sizes[lang]).astype(np.int64)
    return col.take(vocab, code), col.take([names.slug(w) for w in vocab], code)


def _names(rng, country):
    first, first_slug = _by_language(rng, country, names.FIRST_NAMES)
    last, last_slug = _by_language(rng, country, names.LAST_NAMES)
    return first, last, first_slug, last_slug


def _emails(rng, ids, first_slug, last_slug, is_test, is_internal) -> pa.Array:
    n = len(ids)
    domain = col.take(names.EMAIL_DOMAINS, rng.integers(0, len(names.EMAIL_DOMAINS), n))
    # Numbers keep addresses unique-looking; a third of people use none.
    number = col.digits(rng.integers(1, 1000, n), 1)
    number = col.choose(rng.random(n) < 0.33, pa.array([""] * n), number)
    regular = col.concat(first_slug, ".", last_slug, number, "@", domain)
    test = col.concat("qa+", pc.cast(pa.array(ids), pa.string()), "@larkspur.test")
    internal = col.concat(first_slug, ".", last_slug, "@larkspurgoods.com")
    return col.choose(is_test, test, col.choose(is_internal, internal, regular))


def _phones(rng, country, null) -> pa.Array:
    n = len(country)
    prefix = col.take([c.phone_prefix for c in COUNTRIES], country)
    area = col.digits(rng.integers(20, 999, n), 3)
    line = col.digits(rng.integers(0, 10_000_000, n), 7)
    return col.concat(prefix, " ", area, " ", line, null=null)


def _addresses(rng, country, null_postal):
    """(address_line1, city, postal_code) in each country's usual format."""
    n = len(country)
    codes = [c.code for c in COUNTRIES]
    street = _per_country(rng, country, names.STREETS)
    city = _per_country(rng, country, names.CITIES)
    number = col.digits(rng.integers(1, 250, n), 1)
    number_first = col.concat(number, " ", street)
    number_last = col.concat(street, " ", number)
    in_country = {c: country == codes.index(c) for c in codes}
    jp = col.concat(col.digits(rng.integers(1, 9, n), 1), "-", col.digits(rng.integers(1, 30, n), 1), "-", number, " ", street)
    line1 = col.choose(in_country["DE"] | in_country["NL"] | in_country["SE"], number_last, number_first)
    line1 = col.choose(in_country["JP"], jp, line1)

    d5 = col.digits(rng.integers(1000, 99_999, n), 5)
    d4 = col.digits(rng.integers(1000, 9999, n), 4)
    letters2 = col.letters(rng, n, 2)
    letters3 = col.letters(rng, n, 3)
    digit = [col.digits(rng.integers(0, 10, n), 1) for _ in range(3)]
    postal = d5  # US, DE, FR
    postal = col.choose(in_country["AU"], d4, postal)
    postal = col.choose(in_country["NL"], col.concat(d4, " ", letters2), postal)
    postal = col.choose(in_country["SE"], col.concat(pc.utf8_slice_codeunits(d5, 0, 3), " ", pc.utf8_slice_codeunits(d5, 3, 5)), postal)
    postal = col.choose(in_country["JP"], col.concat(pc.utf8_slice_codeunits(d5, 0, 3), "-", d4), postal)
    gb = col.concat(pc.utf8_slice_codeunits(letters3, 0, 2), digit[0], " ", digit[1], pc.utf8_slice_codeunits(letters3, 1, 3))
    postal = col.choose(in_country["GB"], gb, postal)
    ca = col.concat(pc.utf8_slice_codeunits(letters3, 0, 1), digit[0], pc.utf8_slice_codeunits(letters3, 1, 2), " ",
                    digit[1], pc.utf8_slice_codeunits(letters3, 2, 3), digit[2])
    postal = col.choose(in_country["CA"], ca, postal)
    postal = pc.if_else(pa.array(null_postal), pa.scalar(None, pa.string()), postal)
    return line1, city, postal


def _per_country(rng, country, lists) -> pa.Array:
    codes = [c.code for c in COUNTRIES]
    vocab = [w for c in codes for w in lists[c]]
    sizes = np.array([len(lists[c]) for c in codes])
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    code = offset[country] + (rng.random(len(country)) * sizes[country]).astype(np.int64)
    return col.take(vocab, code)
