"""All 24 metrics on the hand-made fixture, against values worked out by hand from its rows.

The fixture (tools/tests/fixtures/metric_fixture/, story in its README.md) is small enough to add
up on paper. Each expected value below shows its arithmetic. The expected values follow each
metric's *documented* definition (its description in models/marts/**/_*__semantic.yml). Where
MetricFlow answers differently, the test fails and says which periods differ: it is not marked
as expected to fail.

Conventions of the arithmetic:
* FX rates are `usd_per_unit` from seeds/fx_rates.csv. A weekend uses the last business day's
  rate (the warehouse forward-fills), e.g. Saturday 2025-02-15 uses Friday 2025-02-14.
* Order amounts use the rate of the UTC order date. Refunds use the rate of their order's date.
  Subscriptions use the rate of the month's first day. Ad spend uses the rate of the spend date.
* Gross revenue is what the customer was charged, converted once per order: round((merchandise
  after line discounts + shipping) × rate, 2), half away from zero, in exact decimals. Other
  amounts are rounded per row the same way.
* Raw money is in minor units (cents). Yen have no minor units, so JPY 6200 means ¥6,200.
* Periods with no rows: a simple or derived metric reads as 0 (every simple metric has
  `fill_nulls_with: 0`, so a derived metric is 0 − x, never NULL); a ratio has no value when its
  denominator has nothing; conversion_rate has a value (maybe 0) on every day with a session.

Rates used (seeds/fx_rates.csv):
    EUR 2025-01-01 1.158958   EUR 2025-01-06 1.154380   EUR 2025-01-10 1.153240
    EUR 2025-02-14 1.121544   EUR 2025-02-20 1.127642   EUR 2025-03-14 1.119186
    JPY 2025-01-14 0.006905   JPY 2025-01-31 0.006749   JPY 2025-02-28 0.006738
    JPY 2025-03-28 0.006957   USD always 1.000000
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from datagen.schema import TABLES

import fixture_data  # beside this file; conftest.py puts this folder on sys.path


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from `first`'s to `last`'s."""
    found, month = [], first.replace(day=1)
    while month <= last:
        found.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return found


DEC, JAN, FEB, MAR = day("2024-12-01"), day("2025-01-01"), day("2025-02-01"), day("2025-03-01")
APR = day("2025-04-01")

# ---------------------------------------------------------------------------------------------
# Orders as the marts should see them: UTC order date; gross = the order total (lines after
# their discounts, plus shipping) converted once at the order date's rate. The payment of every
# paid order equals that total in the order currency (payments__payments.csv).
#
# January
#   1001 Ava    01-03 USD  2 × 12.50 = 25.00;  1 × 40.00 − 5.00 = 35.00;  shipping 5.00     65.00
#               (5 CDC rows: placed, paid, the same paid row again, shipped, delivered)
#   1002 Bruno  01-06 EUR  2 × 12.50 − 1.00 = 24.00;  1 × 18.00 = 18.00;  shipping 0
#                          42.00 × 1.154380 = 48.48396 → 48.48                              48.48
#                          (converting each line, 27.71 + 20.78, would give 48.49)
#   1003 Chiyo  01-14 JPY  placed 01-15 08:00 Tokyo = 01-14 23:00 UTC, so it uses the rate
#                          of 01-14 (0.006905), not of 01-15 (0.006935):
#                          1 × 6,200 + (3 × 1,400 − 200) + shipping 800 = ¥11,000
#                          × 0.006905 = 75.955 exactly → 75.96 (half away from zero;
#                          floating point, or converting line by line, gives 75.95)      75.96
#   1008 Ines   01-27 USD  4 × 12.50 − 5.00 = 45.00;  shipping 5.00                        50.00
#   left out:   1004 Dan, 01-22, cancelled before payment (40.00 + 5.00)
#               1005 QA test account, account_type 'test' (36.00 + 5.00)
#               1006 Ops.Desk@LarkspurGoods.com: account_type 'customer', but the email domain
#                    makes it internal (9.00 + 5.00)
#   January: 65.00 + 48.48 + 75.96 + 50.00 = 239.44, from 4 orders by 4 customers
#
# February
#   1007 Ava    02-01 USD  placed 2025-01-31 23:40 New York = 2025-02-01 04:40 UTC
#                          18.00 + shipping 5.00                                           23.00
#   1010 Bruno  02-15 EUR  Saturday, so Friday's rate: 2 × 40.00 − 8.00 = 72.00, shipping 0
#                          × 1.121544 = 80.751168 → 80.75                                  80.75
#   1011 Hugo   02-20 EUR  18.00 + 12.50 + shipping 4.90 = 35.40 × 1.127642
#                          = 39.9185268 → 39.92 (line by line plus shipping: 20.30 + 14.10
#                          + 5.53 = 39.93). Refunded in full the same evening (4006).        39.92
#   1013 Dan    02-24 USD  3 × 18.00 − 5.40 = 48.60;  shipping 5.00                        53.60
#   left out:   1009 Emma, paid and then cancelled (80.00)
#               1012 QA test account (40.00 + 5.00)
#               1014 Chiyo, deleted in the source (CDC op 'd'): quarantined, not in any mart
#   February: 23.00 + 80.75 + 39.92 + 53.60 = 197.27, from 4 orders by 4 customers
#
# March
#   1015 Ava    03-05 USD  1 × 12.50 + 2 × 9.00 (line 2019 delivered twice, counted once)
#                          = 30.50;  shipping 5.00                                         35.50
#   1016 Emma   03-11 USD  1 × 18.00;  shipping 5.00                                       23.00
#   1017 Hugo   03-15 EUR  Saturday, so rate of 03-14: 2 × 12.50 + shipping 4.90 = 29.90
#                          × 1.119186 = 33.4636614 → 33.46                                 33.46
#   1018 Jonas  03-20 USD  1 × 40.00 − 4.00 = 36.00;  shipping 5.00                        41.00
#   1021 Jonas  03-25 USD  2 × 12.50 = 25.00;  shipping 5.00                               30.00
#   1019 Chiyo  03-28 JPY  2 × 2,500 + shipping 800 = ¥5,800 × 0.006957 = 40.3506 → 40.35
#                          (line and shipping apart: 34.79 + 5.57 = 40.36)                40.35
#   1020 Ines   03-30 USD  1 × 9.00 + shipping 5.00 (status 'placed', unpaid: not
#                          cancelled, so it counts)                                        14.00
#   March: 35.50 + 23.00 + 33.46 + 41.00 + 30.00 + 40.35 + 14.00 = 217.31, from 7 orders
#          by 6 customers (Jonas ordered twice)
#
# Running total of gross revenue, read at each period's last day:
#   01-31 239.44   02-01 239.44 + 23.00 = 262.44   02-28 239.44 + 197.27 = 436.71
#   03-31 436.71 + 217.31 = 654.02, and flat after that. Nothing before the first order.
#
# Each customer's non-cancelled orders, in the order they were placed. The first is the
# customer's first order. A cancelled order is never anyone's first order.
#   Ava 1001 (Jan) 1007 (Feb) 1015 (Mar)   Bruno 1002 (Jan) 1010 (Feb)
#   Chiyo 1003 (Jan) 1019 (Mar)            Dan [1004 cancelled] 1013 (Feb)
#   Emma [1009 cancelled] 1016 (Mar)       Hugo 1011 (Feb) 1017 (Mar)
#   Ines 1008 (Jan) 1020 (Mar)             Jonas 1018 (Mar) 1021 (Mar)
#   new customers:    Jan {Ava, Bruno, Chiyo, Ines} = 4   Feb {Dan, Hugo} = 2   Mar {Emma, Jonas} = 2
#   repeat customers: Jan {} = 0   Feb {Ava, Bruno} = 2   Mar {Ava, Chiyo, Hugo, Ines, Jonas} = 5
#   customers:        Jan 4        Feb {Ava, Bruno, Dan, Hugo} = 4
#                     Mar {Ava, Chiyo, Emma, Hugo, Ines, Jonas} = 6
#
# Refunds, in USD at the rate of their order's date, on the UTC date they were issued. Refunds
# of cancelled orders and of test accounts are left out: that revenue never counted.
#   4001 order 1001, partial: USD 10.00 on 01-20                                        10.00
#   4003 order 1005 (QA test account): 5.00 on 01-25, left out
#   4002 order 1002 (January), full: EUR 42.00 on 02-03, so it lands in February:
#        42.00 × 1.154380 (01-06) = 48.48396 → 48.48 = 1002's gross revenue exactly      48.48
#   4004 order 1009, cancelled after payment, full: USD 80.00 on 02-11, left out
#   4006 order 1011, full, shipping included: EUR 35.40 on 02-20 (the order's own day)
#        × 1.127642 = 39.9185268 → 39.92 = 1011's gross revenue exactly                  39.92
#   4005 order 1010, partial: EUR 10.00 on 03-04, at its order's rate (Saturday 02-15,
#        so 02-14's): 10.00 × 1.121544 = 11.21544 → 11.22                              11.22
#   4007 order 1019 (March), partial: JPY 2,500 on 04-02, a month without orders:
#        2,500 × 0.006957 (03-28) = 17.3925 → 17.39                                      17.39
#   Jan 10.00   Feb 48.48 + 39.92 = 88.40   Mar 11.22   Apr 17.39
#
# Net revenue = gross revenue − refunds, each on its own date
#   Jan 239.44 − 10.00 = 229.44   Feb 197.27 − 88.40 = 108.87   Mar 217.31 − 11.22 = 206.09
#   Apr 0 − 17.39 = −17.39 (refunds and no orders: negative, not NULL)
#   02-20: 1011's 39.92 − its full refund 39.92 = 0.00 (no other order or refund that day)
#   02-11: nothing: refund 4004 belongs to cancelled order 1009
#
# Subscriptions, state at each month end. Test account 106's subscription 6004 is left out.
#   6001 Ava    USD 9.00, started 2024-12-10, still live
#   6002 Bruno  EUR 15.00, started 2025-01-08, cancelled 2025-02-20 (churns in February)
#   6003 Dan    USD 9.00, started 2025-01-15, paused 02-10, resumed 03-12 (paused at the
#               end of February and at the start of March). 3 versions delivered.
#   6005 Chiyo  JPY 1,300, started 2025-02-03
#   MRR uses the rate of the month's first day. 2025-02-01 and 2025-03-01 are Saturdays,
#   so they use Friday's rate.
#   6002 Jan: 15.00 × 1.158958 (01-01) = 17.38437 → 17.38
#   6005 Feb: 1,300 × 0.006749 (01-31) = 8.7737 → 8.77
#   6005 Mar: 1,300 × 0.006738 (02-28) = 8.7594 → 8.76
#
# Sessions (UTC start) and conversion. MetricFlow's conversion metric, as its description says:
# each order of a real customer (any status) is credited to that customer's latest session
# whose UTC date is on or before the order's UTC date and later than the order's date minus 7
# days (window: 7 days, compared as dates: 0 to 6 days earlier), and counts on that session's
# date. conversion_rate = credited orders / sessions. "+1" marks the session an order is
# credited to.
#   Jan  7001 anon 01-02                       0
#        7002 Ava 01-01 20:00                  0: 1001 (01-03) goes to her later session 7003
#        7003 Ava 01-03 14:50                 +1: 1001 (last touch)
#        7004 Bruno 01-06                     +1: 1002 (a purchase with no checkout event)
#        7005 anon 01-10 (add to cart)         0
#        7006 Chiyo 01-14 22:50               +1: 1003 (01-14 in UTC)
#        7007 Dan 01-15 20:00                  0: his cancelled order 1004 is placed 01-22
#                                                 14:00 UTC, 6 days 18 hours later but 7
#                                                 days later by date: outside the window
#        7008 QA test 01-20, buys 1005         0: a test account's order counts 0
#        7009 Ines 01-27                      +1: 1008
#        7010 Ava 01-29 18:00                 +1: 1007 on 02-01 UTC, counted in January
#        7011 anon 01-31 23:50                 0 (its second event is on 02-01)
#        conversion: 5 / 11
#   Feb  7012 Emma 02-01 10:00                 0: her next order, 1009, is 9 days later
#        7013 anon 02-05 (no events)           0
#        7014 Emma 02-10                      +1: 1009 (cancelled later: still an order)
#        7015 Bruno 02-15 +1: 1010   7017 Hugo 02-20 +1: 1011   7018 Dan 02-24 +1: 1013
#        7016 QA test 02-18, buys 1012         0
#        7019 anon 02-27, reaches checkout     0
#        conversion: 4 / 8
#   Mar  7020 Ava 03-05 +1: 1015   7022 Emma 03-11 +1: 1016   7023 Hugo 03-15 +1: 1017
#        7024 Jonas 03-20 +1: 1018 (his 1021 goes to his later session 7025)
#        7025 Jonas 03-25 +1: 1021   7026 Chiyo 03-28 +1: 1019   7027 Ines 03-30 +1: 1020
#        7021 anon 03-08; 7028 Ines 03-31 22:00 (add to cart, nothing after)   0
#        conversion: 7 / 9
#   Every session has a day of its own, so each day's rate is 1 or 0.
#
# Ad spend, in USD at the rate of the spend date
#   5001 01-06 paid_search USD 120.00                                          120.00
#   5002 01-11 paid_social EUR 50.00, Saturday: 50.00 × 1.153240 (01-10) = 57.662 → 57.66
#   5003 02-03 paid_search USD, delivered as 75.00 and restated to 80.00        80.00
#   5004 02-15 paid_social EUR 30.00, Saturday: 30.00 × 1.121544 = 33.64632 → 33.65
#   5005 03-03 paid_search USD 100.00                                          100.00
#   5006 03-16 paid_social EUR 40.00, Sunday: 40.00 × 1.119186 (03-14) = 44.76744 → 44.77
#   Jan 120.00 + 57.66 = 177.66   Feb 80.00 + 33.65 = 113.65   Mar 100.00 + 44.77 = 144.77
#
# Sign-ups (account created, converted to UTC; test and internal accounts left out)
#   Dec: Ava 12-20, Ines 12-28                                                       2
#   Jan: Bruno 01-04, Chiyo 01-10 (09:00 Tokyo = 00:00 UTC), Dan 01-12, Emma 01-26 (01-25
#        20:00 New York), Greta 01-31 (2025-02-01 00:30 Berlin = 01-31 23:30 UTC)    5
#        (QA 106 and Ops.Desk 107 left out)
#   Feb: Hugo 02-05 (profile delivered twice, one account)                           1
#   Mar: Jonas 03-02                                                                 1
# ---------------------------------------------------------------------------------------------

BY_MONTH = {
    # --- sales -----------------------------------------------------------------------------
    "gross_revenue": {JAN: D("239.44"), FEB: D("197.27"), MAR: D("217.31")},
    "orders": {JAN: 4, FEB: 4, MAR: 7},
    "average_order_value": {JAN: 239.44 / 4, FEB: 197.27 / 4, MAR: 217.31 / 7},
    "customers": {JAN: 4, FEB: 4, MAR: 6},
    "new_customers": {JAN: 4, FEB: 2, MAR: 2},
    "repeat_customers": {JAN: 0, FEB: 2, MAR: 5},
    # January has 4 customers and no repeat customer: a share of 0 / 4 = 0, not "no value".
    "repeat_customer_rate": {JAN: 0 / 4, FEB: 2 / 4, MAR: 5 / 6},
    # Running totals at each month's last day. Later months are added in test_metric_by_month.
    "cumulative_gross_revenue": {
        JAN: D("239.44"),
        FEB: D("436.71"),  # 239.44 + 197.27 (on 02-01 it is only 262.44)
        MAR: D("654.02"),  # 436.71 + 217.31
    },
    "signups": {DEC: 2, JAN: 5, FEB: 1, MAR: 1},
    # --- finance ---------------------------------------------------------------------------
    # Refunds of cancelled order 1009 (4004) and of the test account (4003) are left out.
    "refunds": {
        JAN: D("10.00"),
        FEB: D("88.40"),  # 48.48 + 39.92
        MAR: D("11.22"),
        APR: D("17.39"),  # 4007, a month without orders
    },
    # Gross revenue minus refunds issued in the month. The refund of cancelled order 1009 is
    # not subtracted: that order never added to gross revenue.
    "net_revenue": {
        JAN: D("229.44"),  # 239.44 − 10.00
        FEB: D("108.87"),  # 197.27 − 48.48 − 39.92
        MAR: D("206.09"),  # 217.31 − 11.22
        APR: D("-17.39"),  # 0 − 17.39: refunds and no orders
    },
    "mrr": {
        DEC: D("9.00"),  # 6001
        JAN: D("35.38"),  # 6001 9.00 + 6002 17.38 + 6003 9.00
        FEB: D("17.77"),  # 6001 9.00 + 6005 8.77 (6002 cancelled, 6003 paused)
        MAR: D("26.76"),  # 6001 9.00 + 6003 9.00 (resumed) + 6005 8.76
    },
    "active_subscriptions": {DEC: 1, JAN: 3, FEB: 2, MAR: 3},
    # Live and not paused on the 1st. Dec: 6001 starts on 12-10. Jan: 6001.
    # Feb: 6001, 6002, 6003 (paused only on 02-10). Mar: 6001, 6005 (6003 paused, 6002 gone).
    "opening_subscriptions": {DEC: 0, JAN: 1, FEB: 3, MAR: 2},
    "churned_subscriptions": {DEC: 0, JAN: 0, FEB: 1, MAR: 0},
    "churn_rate": {DEC: None, JAN: 0 / 1, FEB: 1 / 3, MAR: 0 / 2},  # December: 0 / 0, no value
    # --- growth ----------------------------------------------------------------------------
    "sessions": {JAN: 11, FEB: 8, MAR: 9},
    # Sessions that reached a step or a later one (purchase implies checkout and cart).
    "add_to_cart_sessions": {
        JAN: 7,  # 7002, 7003, 7004, 7005, 7006, 7008, 7009
        FEB: 6,  # 7014, 7015, 7016, 7017, 7018, 7019
        MAR: 8,  # 7020, 7022 to 7027, 7028
    },
    "checkout_sessions": {
        JAN: 5,  # 7003, 7004 (purchase without a checkout event), 7006, 7008, 7009
        FEB: 6,  # 7014 to 7018, 7019 (abandoned at checkout)
        MAR: 7,  # 7020, 7022 to 7027
    },
    "purchase_sessions": {JAN: 5, FEB: 5, MAR: 7},
    # Credited orders / sessions (last touch, see above). Not 7 / 11 in January: 7002 loses
    # 1001 to 7003, and 1004 falls outside 7007's window.
    "conversion_rate": {JAN: 5 / 11, FEB: 4 / 8, MAR: 7 / 9},
    "ad_spend": {JAN: D("177.66"), FEB: D("113.65"), MAR: D("144.77")},
    "cac": {JAN: 177.66 / 4, FEB: 113.65 / 2, MAR: 144.77 / 2},  # spend / new customers
    "roas": {JAN: 239.44 / 177.66, FEB: 197.27 / 113.65, MAR: 217.31 / 144.77},  # gross / spend
}

# Day grain for the metrics where the day is the point. These list every day with a value.
BY_DAY = {
    "gross_revenue": {
        day("2025-01-03"): D("65.00"), day("2025-01-06"): D("48.48"),
        day("2025-01-14"): D("75.96"),  # Tokyo's 01-15 morning
        day("2025-01-27"): D("50.00"),
        day("2025-02-01"): D("23.00"),  # New York's 01-31 23:40
        day("2025-02-15"): D("80.75"), day("2025-02-20"): D("39.92"), day("2025-02-24"): D("53.60"),
        day("2025-03-05"): D("35.50"), day("2025-03-11"): D("23.00"), day("2025-03-15"): D("33.46"),
        day("2025-03-20"): D("41.00"), day("2025-03-25"): D("30.00"), day("2025-03-28"): D("40.35"),
        day("2025-03-30"): D("14.00"),
    },
    "orders": {
        day(d): 1 for d in ("2025-01-03", "2025-01-06", "2025-01-14", "2025-01-27", "2025-02-01",
                            "2025-02-15", "2025-02-20", "2025-02-24", "2025-03-05", "2025-03-11",
                            "2025-03-15", "2025-03-20", "2025-03-25", "2025-03-28", "2025-03-30")
    },
    "refunds": {
        day("2025-01-20"): D("10.00"),
        day("2025-02-03"): D("48.48"),  # the late refund of January's order 1002
        day("2025-02-20"): D("39.92"),  # the same-day full refund of 1011
        day("2025-03-04"): D("11.22"),
        day("2025-04-02"): D("17.39"),
        # not 02-11: 4004 refunds cancelled order 1009
    },
    # Gross revenue of the day minus refunds of the day: every day with an order or a counted
    # refund. 02-11 has only the refund of cancelled order 1009, so nothing.
    "net_revenue": {
        day("2025-01-03"): D("65.00"), day("2025-01-06"): D("48.48"), day("2025-01-14"): D("75.96"),
        day("2025-01-20"): D("-10.00"),  # refund 4001, no order that day
        day("2025-01-27"): D("50.00"),
        day("2025-02-01"): D("23.00"),  # the month-end order
        day("2025-02-03"): D("-48.48"),  # the late refund of order 1002
        day("2025-02-15"): D("80.75"),
        day("2025-02-20"): D("0.00"),  # 1011: 39.92 − its full refund 39.92, shipping included
        day("2025-02-24"): D("53.60"),
        day("2025-03-04"): D("-11.22"),  # refund 4005
        day("2025-03-05"): D("35.50"), day("2025-03-11"): D("23.00"), day("2025-03-15"): D("33.46"),
        day("2025-03-20"): D("41.00"), day("2025-03-25"): D("30.00"), day("2025-03-28"): D("40.35"),
        day("2025-03-30"): D("14.00"),
        day("2025-04-02"): D("-17.39"),  # refund 4007, in a month without orders
    },
    # One session a day: credited orders / 1 (see the sessions above).
    "conversion_rate": {
        **{day(d): 1.0 for d in ("2025-01-03", "2025-01-06", "2025-01-14", "2025-01-27", "2025-01-29",
                                 "2025-02-10", "2025-02-15", "2025-02-20", "2025-02-24",
                                 "2025-03-05", "2025-03-11", "2025-03-15", "2025-03-20", "2025-03-25",
                                 "2025-03-28", "2025-03-30")},
        **{day(d): 0.0 for d in ("2025-01-01",  # 7002: 1001 is credited to 7003 (last touch)
                                 "2025-01-02", "2025-01-10", "2025-01-31",  # anonymous
                                 "2025-01-15",  # 7007: 1004 is 7 days later by date
                                 "2025-01-20",  # 7008: a test account's order
                                 "2025-02-01",  # 7012: 1009 is 9 days later, and 7014 is later
                                 "2025-02-05", "2025-02-27", "2025-03-08",  # anonymous
                                 "2025-02-18",  # 7016: a test account's order
                                 "2025-03-31")},  # 7028: nothing after
    },
    "ad_spend": {
        day("2025-01-06"): D("120.00"), day("2025-01-11"): D("57.66"), day("2025-02-03"): D("80.00"),
        day("2025-02-15"): D("33.65"), day("2025-03-03"): D("100.00"), day("2025-03-16"): D("44.77"),
    },
    "signups": {
        day("2024-12-20"): 1, day("2024-12-28"): 1, day("2025-01-04"): 1, day("2025-01-10"): 1,
        day("2025-01-12"): 1, day("2025-01-26"): 1,
        day("2025-01-31"): 1,  # Greta: 2025-02-01 00:30 in Berlin
        day("2025-02-05"): 1, day("2025-03-02"): 1,
    },
}

# Day grain, chosen days only (the metric has values on other days too).
ON_DAYS = {
    "cumulative_gross_revenue": {
        day("2025-01-14"): D("189.44"),  # 65.00 + 48.48 + 75.96
        day("2025-01-31"): D("239.44"),
        day("2025-02-01"): D("262.44"),  # 239.44 + 23.00 (the month-end order)
        day("2025-02-28"): D("436.71"),
        day("2025-03-31"): D("654.02"),
        day("2025-04-02"): D("654.02"),  # a refund does not lower gross revenue
    },
    "sessions": {
        day("2025-01-31"): 1,  # 7011 counts on its start date
        day("2025-02-01"): 1,  # 7012
    },
    "repeat_customers": {day("2025-02-01"): 1},  # Ava's month-end order is her second
    "new_customers": {day("2025-02-01"): 0},
}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_fixture_csv_follows_the_raw_contract(table):
    data = fixture_data.read_table(TABLES[table])
    assert data.schema == TABLES[table].schema and data.num_rows > 0


def test_every_metric_has_hand_values(fixture_metrics):
    assert set(BY_MONTH) == set(fixture_metrics.metric_names())


@pytest.mark.parametrize("metric", sorted(BY_MONTH))
def test_metric_by_month(fixture_metrics, assert_metric, metric):
    expected = dict(BY_MONTH[metric])
    if metric == "cumulative_gross_revenue":
        # After the last order the running total stays flat, in every month the time spine covers.
        (spine_end,) = fixture_metrics.connection.execute("select max(date_day) from marts.dim_dates").fetchone()
        expected.update({month: D("654.02") for month in months(APR, spine_end)})
    assert_metric(fixture_metrics, metric, "month", fixture_metrics.values(metric, "month"), expected)


@pytest.mark.parametrize("metric", sorted(BY_DAY))
def test_metric_by_day(fixture_metrics, assert_metric, metric):
    assert_metric(fixture_metrics, metric, "day", fixture_metrics.values(metric, "day"), BY_DAY[metric])


@pytest.mark.parametrize("metric", sorted(ON_DAYS))
def test_metric_on_chosen_days(fixture_metrics, assert_metric, metric):
    expected = ON_DAYS[metric]
    actual = fixture_metrics.values(metric, "day")
    missing = 0 if fixture_metrics.zero_when_missing(metric) else "<no row>"
    assert_metric(fixture_metrics, metric, "day", {d: actual.get(d, missing) for d in expected}, expected)


def test_full_refunds_net_their_orders_to_zero(fixture_metrics):
    """1002 (no shipping, refunded next month) and 1011 (shipping, refunded the same day): each
    order's gross revenue minus its one full refund is exactly 0.00 in fct_orders."""
    rows = fixture_metrics.connection.execute("""
        select fct_orders.order_id, fct_orders.gross_revenue_usd, fct_orders.refunded_amount_usd,
               bool_and(fct_refunds.is_full_refund)
        from marts.fct_orders
        inner join marts.fct_refunds on fct_refunds.order_id = fct_orders.order_id
        where fct_orders.order_id in (1002, 1011)
        group by all
        order by 1""").fetchall()
    assert rows == [(1002, D("48.48"), D("48.48"), True), (1011, D("39.92"), D("39.92"), True)]
