"""The documented mess is present (even at scale 0.001) and close to its documented rate."""

from __future__ import annotations

import json
import math

import pytest
from dg_helpers import connect, scalar

from datagen import mess

# Independent SQL measurements: (numerator, denominator) of each documented rate.
MEASURES = {
    "test accounts": ("select count(*) from shop_customers where account_type = 'test' and email like 'qa+%@larkspur.test'",
                      "select count(distinct id) from shop_customers", mess.TEST_ACCOUNT_RATE),
    "internal accounts": ("select count(*) from shop_customers where account_type = 'internal' and email like '%@larkspurgoods.com'",
                          "select count(distinct id) from shop_customers", mess.INTERNAL_ACCOUNT_RATE),
    "re-delivered customers": ("select count(*) - count(distinct id) from shop_customers",
                               "select count(distinct id) from shop_customers", mess.CUSTOMER_REDELIVERY_RATE),
    "null phone": ("select count(*) from (select distinct on (id) * from shop_customers order by id, _loaded_at) where phone is null",
                   "select count(distinct id) from shop_customers", mess.NULL_PHONE_RATE),
    "null postal code": ("select count(*) from (select distinct on (id) * from shop_customers order by id, _loaded_at) where postal_code is null",
                         "select count(distinct id) from shop_customers", mess.NULL_POSTAL_CODE_RATE),
    "null acquisition channel": ("select count(*) from (select distinct on (id) * from shop_customers) where acquisition_channel is null",
                                 "select count(distinct id) from shop_customers", mess.NULL_ACQUISITION_CHANNEL_RATE),
    "cancelled orders": ("select count(distinct id) from shop_orders where status = 'cancelled'",
                         "select count(distinct id) from shop_orders", mess.CANCELLED_RATE),
    "returned orders (of delivered)": ("select count(distinct id) from shop_orders where status = 'returned'",
                                       "select count(distinct id) from shop_orders where status = 'delivered'", mess.RETURNED_RATE),
    "soft-deleted orders": ("select count(distinct id) from shop_orders where _cdc_op = 'd' and deleted_at is not null",
                            "select count(distinct id) from shop_orders", mess.SOFT_DELETE_RATE),
    "CDC rows delivered twice": ("select count(*) - (select count(*) from (select distinct * from shop_orders)) from shop_orders",
                                 "select count(*) from (select distinct * from shop_orders)", mess.CDC_DUPLICATE_RATE),
    "mixed-currency orders": ("""select count(distinct o.id) from shop_orders o join (values ('US','USD'),('CA','CAD'),('GB','GBP'),('DE','EUR'),
                                 ('FR','EUR'),('NL','EUR'),('SE','SEK'),('JP','JPY'),('AU','AUD')) c(country, cur)
                                 on c.country = o.shipping_country where o._cdc_op = 'c' and o.currency <> c.cur""",
                              "select count(distinct id) from shop_orders", mess.MIXED_CURRENCY_RATE),
    "month-end orders": ("""select count(distinct id) from shop_orders where _cdc_op = 'c'
                            and cast(placed_at as date) = last_day(placed_at) and placed_at::time >= time '23:30'""",
                         "select count(distinct id) from shop_orders", mess.MONTH_END_RATE),
    "order lines delivered twice": ("select count(*) - (select count(*) from (select distinct * from shop_order_items)) from shop_order_items",
                                    "select count(*) from (select distinct * from shop_order_items)", mess.ITEM_DUPLICATE_RATE),
    "lines without discount": ("select count(*) from (select distinct * from shop_order_items) where discount_minor is null",
                               "select count(*) from (select distinct * from shop_order_items)", mess.DISCOUNT_NULL_RATE),
    "orders with a failed attempt": ("select count(distinct order_id) from payments_payments where status = 'failed'",
                                     "select count(distinct id) from shop_orders", mess.FAILED_FIRST_ATTEMPT_RATE),
    "failed attempts without method": ("select count(*) from payments_payments where status = 'failed' and method is null",
                                       "select count(*) from payments_payments where status = 'failed'", mess.FAILED_METHOD_NULL_RATE),
    "partial refunds (of delivered)": ("""select count(*) from payments_refunds r join payments_payments p on p.id = r.payment_id
                                          where r.amount_minor < p.amount_minor""",
                                       "select count(distinct id) from shop_orders where status = 'delivered'", mess.PARTIAL_REFUND_RATE),
    "late refunds (of refunds)": ("""select count(distinct r.id) from payments_refunds r join payments_payments p on p.id = r.payment_id
                                     join shop_orders o on o.id = p.order_id and o._cdc_op = 'c'
                                     where r.created_at > (timezone(o.time_zone, o.placed_at) at time zone 'UTC') + interval 14 day""",
                                  "select count(*) from payments_refunds", 0.20),
    "refunds with NULL reason": ("select count(*) from payments_refunds where reason is null",
                                 "select count(*) from payments_refunds", mess.REFUND_REASON_NULL_RATE),
    "subscribers": ("select count(*) from billing_subscriptions", "select count(distinct id) from shop_customers", mess.SUBSCRIBER_RATE),
    "monthly churn": ("select count(cancelled_at) from billing_subscriptions",
                      "select sum(date_diff('day', started_at, coalesce(cancelled_at, timestamp '2026-01-01')) / 30.44) from billing_subscriptions",
                      mess.MONTHLY_CHURN),
    "anonymous browse sessions": ("""select count(*) from web_sessions s where customer_id is null""",
                                  """select count(*) from web_sessions s where not exists
                                     (select 1 from web_events e where e.session_id = s.id and e.event_type = 'purchase')""",
                                  1 - mess.BROWSE_LOGGED_IN_SHARE),
}


def _tolerance(expected_count: float) -> float:
    # Binomial noise (4 sigma) plus the per-block minimums and window edge effects.
    return 4 * math.sqrt(max(expected_count, 1)) + 0.1 * expected_count + 3


@pytest.mark.parametrize("item", sorted(MEASURES))
def test_present_at_smallest_scale(tiny, item):
    num, _, _ = MEASURES[item]
    assert scalar(connect(tiny), num) > 0, item


@pytest.mark.parametrize("item", sorted(MEASURES))
def test_close_to_documented_rate(medium, item):
    num, den, rate = MEASURES[item]
    con = connect(medium)
    count, base = scalar(con, num), scalar(con, den)
    expected = base * rate
    assert abs(count - expected) <= _tolerance(expected), f"{item}: {count} of {base}, expected ~{expected:.0f}"


def test_manifest_counts_every_mess_item(tiny):
    m = json.loads((tiny / "_manifest.json").read_text())["mess"]
    for table, items in m.items():
        for item, count in items.items():
            assert count > 0, f"{table}.{item}"
    expected = {
        "shop.customers": {"test_accounts", "internal_accounts", "redelivered_rows", "null_phone", "null_postal_code",
                           "null_acquisition_channel"},
        "shop.orders": {"cdc_update_rows", "cdc_duplicate_rows", "cancelled_orders", "returned_orders",
                        "soft_deleted_orders", "mixed_currency_orders", "month_end_orders", "free_shipping_orders"},
        "shop.order_items": {"duplicate_rows", "discounted_lines"},
        "payments.payments": {"failed_attempts", "failed_without_method"},
        "payments.refunds": {"full_refunds", "partial_refunds", "late_refunds", "cross_month_refunds"},
        "billing.subscriptions": {"paused", "resumed", "cancelled"},
    }
    for table, items in expected.items():
        assert items <= set(m[table]), table


def test_manifest_counts_agree_with_data(medium):
    m = json.loads((medium / "_manifest.json").read_text())["mess"]
    con = connect(medium)
    assert m["shop.orders"]["cdc_duplicate_rows"] == scalar(con, MEASURES["CDC rows delivered twice"][0])
    assert m["shop.orders"]["month_end_orders"] == scalar(con, MEASURES["month-end orders"][0])
    assert m["shop.orders"]["mixed_currency_orders"] == scalar(con, MEASURES["mixed-currency orders"][0])
    assert m["shop.customers"]["redelivered_rows"] == scalar(con, MEASURES["re-delivered customers"][0])
    assert m["payments.refunds"]["late_refunds"] == scalar(con, MEASURES["late refunds (of refunds)"][0])


def test_cdc_versions_are_ordered(medium):
    con = connect(medium)
    # Within an order: lsn increases with updated_at; the first row is the create.
    assert scalar(con, """select count(*) from (select id, _cdc_op, row_number() over (partition by id order by _cdc_lsn) rn
                          from (select distinct * from shop_orders)) where (rn = 1) <> (_cdc_op = 'c')""") == 0
    assert scalar(con, """select count(*) from (select updated_at, lag(updated_at) over (partition by id order by _cdc_lsn) prev
                          from (select distinct * from shop_orders)) where updated_at <= prev""") == 0


def test_weekly_and_seasonal_pattern(medium):
    con = connect(medium)
    by_day = dict(con.execute("""select dayofweek(placed_at), count(*) from shop_orders where _cdc_op = 'c' group by 1""").fetchall())
    assert by_day[6] > by_day[2] and by_day[0] > by_day[2]  # weekends busier than Tuesday
    by_month = dict(con.execute("""select month(placed_at), count(*) from shop_orders where _cdc_op = 'c'
                                   and year(placed_at) = 2024 group by 1""").fetchall())
    assert by_month[12] > 1.3 * by_month[6] and by_month[11] > by_month[10]
    by_year = dict(con.execute("""select year(placed_at), count(*) from shop_orders where _cdc_op = 'c' group by 1""").fetchall())
    assert by_year[2025] > by_year[2024] > by_year[2023]
