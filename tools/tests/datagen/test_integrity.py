"""Referential integrity and internal consistency of clean data."""

from __future__ import annotations

import pytest
from dg_helpers import connect, scalar

CHECKS = {
    "order line without order": """select count(*) from shop_order_items i
        where not exists (select 1 from shop_orders o where o.id = i.order_id)""",
    "order line without product": """select count(*) from shop_order_items i
        where not exists (select 1 from shop_products p where p.id = i.product_id)""",
    "payment without order": """select count(*) from payments_payments p
        where not exists (select 1 from shop_orders o where o.id = p.order_id)""",
    "refund without successful payment": """select count(*) from payments_refunds r
        where not exists (select 1 from payments_payments p where p.id = r.payment_id and p.status = 'succeeded')""",
    "refund above payment": """select count(*) from payments_refunds r join payments_payments p on p.id = r.payment_id
        where r.amount_minor > p.amount_minor or r.currency <> p.currency""",
    "purchase event without order": """select count(*) from web_events e where e.event_type = 'purchase'
        and not exists (select 1 from shop_orders o where o.id = e.order_id)""",
    "event without session": """select count(*) from web_events e
        where not exists (select 1 from web_sessions s where s.id = e.session_id)""",
    "order without customer": """select count(*) from shop_orders o
        where not exists (select 1 from shop_customers c where c.id = o.customer_id)""",
    "subscription without customer": """select count(*) from billing_subscriptions s
        where not exists (select 1 from shop_customers c where c.id = s.customer_id)""",
    "order placed before its customer existed": """select count(*) from shop_orders o join shop_customers c
        on c.id = o.customer_id and o._cdc_op = 'c'
        where timezone(o.time_zone, o.placed_at) < timezone(c.time_zone, c.created_at)""",
    "payment not equal to the order total": """
        with lines as (select order_id, sum(quantity * unit_price_minor - coalesce(discount_minor, 0)) total
                       from (select distinct * from shop_order_items) group by 1),
             orders as (select distinct id, shipping_fee_minor, currency from shop_orders)
        select count(*) from payments_payments p join lines l on l.order_id = p.order_id
        join orders o on o.id = p.order_id
        where p.amount_minor <> l.total + o.shipping_fee_minor or p.currency <> o.currency""",
    "discount not smaller than the line": """select count(*) from shop_order_items
        where discount_minor >= quantity * unit_price_minor or discount_minor <= 0""",
    "purchase far from the order's placement": """select count(*) from web_events e join shop_orders o
        on o.id = e.order_id and o._cdc_op = 'c'
        where abs(epoch(e.occurred_at) - epoch(timezone(o.time_zone, o.placed_at) at time zone 'UTC')) > 5""",
    "duplicate key (beyond the documented exact duplicates)": """select
        (select count(*) - count(distinct id) from (select distinct * from shop_order_items))
      + (select count(*) - count(distinct id) from payments_payments)
      + (select count(*) - count(distinct id) from payments_refunds)
      + (select count(*) - count(distinct id) from web_sessions)
      + (select count(*) - count(distinct id) from web_events)
      + (select count(*) - count(distinct (id, _cdc_lsn)) from (select distinct * from shop_orders))
      + (select count(*) - count(distinct (id, _loaded_at)) from shop_customers)""",
    "null key": """select (select count(*) from shop_customers where id is null)
        + (select count(*) from shop_order_items where id is null)
        + (select count(*) from payments_payments where id is null)
        + (select count(*) from web_events where id is null)""",
    "loaded after the cut-off": """select (select count(*) from shop_orders where _loaded_at >= '2026-01-01')
        + (select count(*) from payments_payments where _loaded_at >= '2026-01-01')
        + (select count(*) from web_events where _loaded_at >= '2026-01-01' or occurred_at >= '2026-01-01')""",
    "price periods not contiguous": """select count(*) from (
        select valid_to, lead(valid_from) over (partition by product_id order by valid_from) nxt
        from shop_product_prices) where valid_to is distinct from nxt""",
    "ad spend not one row per day, campaign and country": """select count(*) from (
        select date, campaign_id, country from marketing_ad_spend group by all having count(*) > 1)""",
}


@pytest.fixture(scope="module", params=["tiny", "medium"])
def con(request):
    return connect(request.getfixturevalue(request.param))


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_clean_data(con, check):
    assert scalar(con, CHECKS[check]) == 0


def test_unit_prices_follow_list_price_and_fx_seed(tiny):
    """unit_price_minor = USD list price at order time / usd_per_unit of the order's UTC
    date (last business day), in the currency's minor units (yen: none)."""
    con = connect(tiny)
    from datagen.commands import write_seeds

    write_seeds(str(tiny / "_seeds"), echo=lambda *_: None)
    mismatches = scalar(con, f"""
        with fx as (select * from read_csv('{tiny}/_seeds/fx_rates.csv')),
        cur as (select * from read_csv('{tiny}/_seeds/currencies.csv')),
        lines as (select distinct i.*, o.currency, timezone(o.time_zone, o.placed_at) at time zone 'UTC' as utc
                  from shop_order_items i join (select distinct id, currency, placed_at, time_zone from shop_orders) o
                  on o.id = i.order_id),
        priced as (select l.*, p.list_price_minor, c.minor_units,
                     (select usd_per_unit from fx where fx.currency_code = l.currency and fx.rate_date <= cast(l.utc as date)
                      order by rate_date desc limit 1) rate
                   from lines l join shop_product_prices p on p.product_id = l.product_id
                     and l.utc >= p.valid_from and (p.valid_to is null or l.utc < p.valid_to)
                   join cur c on c.currency_code = l.currency)
        select count(*) from priced
        where unit_price_minor <> floor(list_price_minor / 100.0 / rate * pow(10, minor_units) + 0.5)""")
    assert mismatches == 0
