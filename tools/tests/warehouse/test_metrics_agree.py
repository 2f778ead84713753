"""On the generated tiny warehouse, MetricFlow's metrics equal plain SQL over the marts.

Every metric has one reference query in REFERENCE, written straight from the metric's documented
definition (its description in models/marts/**/_*__semantic.yml). It uses the marts' columns and
does not use MetricFlow. Each query returns `(period, value)` rows for a `{grain}` of day or month.
The same rules apply throughout:
* every simple metric fills NULLs with 0: a derived metric is computed over every period either
  input has (gross revenue − refunds is negative in a period with refunds and no orders);
* ratios are ratios of sums over the period: a numerator of nothing is 0, and a denominator of
  nothing leaves the ratio without a value (NULL);
* refunds leave out refunds of cancelled orders and of test accounts, taken from fct_orders (not
  from fct_refunds' copies of those flags, so the copies are checked too);
* conversion_rate is MetricFlow's conversion semantics, written out: each order of the customer
  entity (a test account's order counts 0) goes to the customer's latest session whose date is
  on or before the order's date and later than the order's date minus 7 days (dates, not
  timestamps: 0 to 6 days earlier), and counts on that session's date; the rate is those orders
  over all sessions of the period, and 0 (not NULL) in a period whose sessions got no order;
* the cumulative metric is a running total read at each period's last day, over the time spine;
* mrr and active_subscriptions are the month's snapshot (rows of that subscription_month).

Comparison (conftest.metric_differences): money to the cent, counts exactly, ratios to 1e-9
relative. A period missing from a simple or derived metric counts as 0.

test_full_refunds_net_orders_to_zero checks, on the same warehouse, that an order refunded in
full (one refund of its whole successful payment) nets to exactly 0.00 in fct_orders.
"""

from __future__ import annotations

import pytest

GRAINS = ("day", "month")

# Orders that count as revenue: real customers, not cancelled.
REVENUE_ORDERS = "marts.fct_orders where not is_test_account and not is_cancelled"

# Refunds that count: of orders that count as revenue (flags read from fct_orders).
COUNTED_REFUNDS = """
    counted_refunds as (
        select fct_refunds.*
        from marts.fct_refunds
        inner join marts.fct_orders on fct_refunds.order_id = fct_orders.order_id
        where not fct_orders.is_test_account and not fct_orders.is_cancelled
    )"""

# Each customer's non-cancelled orders numbered by time of placing. The numbering is recomputed
# here, so it does not rely on fct_orders.is_first_order.
NUMBERED_ORDERS = """
    numbered_orders as (
        select
            *,
            row_number() over (partition by customer_id order by placed_at, order_id) as nth_order
        from marts.fct_orders
        where not is_cancelled
    )"""

REFERENCE = {
    # --- sales ------------------------------------------------------------------------------
    "gross_revenue": f"""
        select cast(date_trunc('{{grain}}', order_date) as date), sum(gross_revenue_usd)
        from {REVENUE_ORDERS}
        group by 1""",
    "orders": f"""
        select cast(date_trunc('{{grain}}', order_date) as date), count(*)
        from {REVENUE_ORDERS}
        group by 1""",
    "average_order_value": f"""
        select cast(date_trunc('{{grain}}', order_date) as date),
               cast(sum(gross_revenue_usd) as double) / count(*)
        from {REVENUE_ORDERS}
        group by 1""",
    "customers": f"""
        select cast(date_trunc('{{grain}}', order_date) as date), count(distinct customer_id)
        from {REVENUE_ORDERS}
        group by 1""",
    "new_customers": f"""
        with {NUMBERED_ORDERS}
        select cast(date_trunc('{{grain}}', order_date) as date), count(distinct customer_id)
        from numbered_orders
        where not is_test_account and nth_order = 1
        group by 1""",
    "repeat_customers": f"""
        with {NUMBERED_ORDERS}
        select cast(date_trunc('{{grain}}', order_date) as date), count(distinct customer_id)
        from numbered_orders
        where not is_test_account and nth_order > 1
        group by 1""",
    "repeat_customer_rate": f"""
        with {NUMBERED_ORDERS}
        select cast(date_trunc('{{grain}}', order_date) as date),
               cast(count(distinct case when nth_order > 1 then customer_id end) as double)
               / count(distinct customer_id)
        from numbered_orders
        where not is_test_account
        group by 1""",
    # The running total at the period's last day (period_agg: last), from the period holding the
    # first order to the end of the time spine.
    "cumulative_gross_revenue": f"""
        with
        periods as (
            select cast(date_trunc('{{grain}}', date_day) as date) as period, max(date_day) as last_day
            from marts.dim_dates
            group by 1
        ),
        daily as (
            select order_date, sum(gross_revenue_usd) as revenue
            from {REVENUE_ORDERS}
            group by 1
        )
        select periods.period, sum(daily.revenue)
        from periods
        inner join daily on daily.order_date <= periods.last_day
        group by 1""",
    "signups": """
        select cast(date_trunc('{grain}', signup_date) as date), count(*)
        from marts.dim_customers
        where not is_test_account
        group by 1""",
    # --- finance ----------------------------------------------------------------------------
    "refunds": f"""
        with {COUNTED_REFUNDS}
        select cast(date_trunc('{{grain}}', refund_date) as date), sum(amount_usd)
        from counted_refunds
        group by 1""",
    # Gross revenue of the period minus refunds issued in the period, both without cancelled
    # orders and test accounts; a period with only refunds is negative.
    "net_revenue": f"""
        with
        {COUNTED_REFUNDS},
        revenue as (
            select cast(date_trunc('{{grain}}', order_date) as date) as period, sum(gross_revenue_usd) as amount
            from {REVENUE_ORDERS}
            group by 1
        ),
        refunded as (
            select cast(date_trunc('{{grain}}', refund_date) as date) as period, sum(amount_usd) as amount
            from counted_refunds
            group by 1
        )
        select coalesce(revenue.period, refunded.period),
               coalesce(revenue.amount, 0) - coalesce(refunded.amount, 0)
        from revenue
        full outer join refunded on revenue.period = refunded.period""",
    "mrr": """
        select cast(date_trunc('{grain}', subscription_month) as date), sum(mrr_usd)
        from marts.fct_subscription_months
        where not is_test_account
        group by 1""",
    "active_subscriptions": """
        select cast(date_trunc('{grain}', subscription_month) as date), count_if(is_active)
        from marts.fct_subscription_months
        where not is_test_account
        group by 1""",
    "churned_subscriptions": """
        select cast(date_trunc('{grain}', subscription_month) as date), count_if(is_churned_in_month)
        from marts.fct_subscription_months
        where not is_test_account
        group by 1""",
    "opening_subscriptions": """
        select cast(date_trunc('{grain}', subscription_month) as date), count_if(was_active_at_month_start)
        from marts.fct_subscription_months
        where not is_test_account
        group by 1""",
    "churn_rate": """
        select cast(date_trunc('{grain}', subscription_month) as date),
               cast(count_if(is_churned_in_month) as double) / nullif(count_if(was_active_at_month_start), 0)
        from marts.fct_subscription_months
        where not is_test_account
        group by 1""",
    # --- growth -----------------------------------------------------------------------------
    "sessions": """
        select cast(date_trunc('{grain}', session_date) as date), count(*)
        from marts.fct_sessions
        group by 1""",
    "add_to_cart_sessions": """
        select cast(date_trunc('{grain}', session_date) as date), count_if(reached_add_to_cart)
        from marts.fct_sessions
        group by 1""",
    "checkout_sessions": """
        select cast(date_trunc('{grain}', session_date) as date), count_if(reached_checkout)
        from marts.fct_sessions
        group by 1""",
    "purchase_sessions": """
        select cast(date_trunc('{grain}', session_date) as date), count_if(has_purchase)
        from marts.fct_sessions
        group by 1""",
    # Last touch within the window: every order (any status; a test account's order counts 0)
    # goes to its customer's latest session dated 0 to 6 days before the order's date, on that
    # session's date. Anonymous sessions, and sessions no order went to, count in the base only.
    "conversion_rate": """
        with
        credited_orders as (
            select
                fct_orders.order_id,
                case when fct_orders.is_test_account then 0 else 1 end as counted,
                max(fct_sessions.session_date) as session_date
            from marts.fct_orders
            inner join marts.fct_sessions
                on
                    fct_sessions.customer_id = fct_orders.customer_id
                    and fct_sessions.session_date <= fct_orders.order_date
                    and fct_sessions.session_date > fct_orders.order_date - interval 7 day
            group by fct_orders.order_id, fct_orders.is_test_account
        ),
        conversions as (
            select cast(date_trunc('{grain}', session_date) as date) as period, sum(counted) as orders
            from credited_orders
            group by 1
        ),
        sessions as (
            select cast(date_trunc('{grain}', session_date) as date) as period, count(*) as sessions
            from marts.fct_sessions
            group by 1
        )
        select sessions.period, cast(coalesce(conversions.orders, 0) as double) / sessions.sessions
        from sessions
        left join conversions on sessions.period = conversions.period""",
    "ad_spend": """
        select cast(date_trunc('{grain}', spend_date) as date), sum(spend_usd)
        from marts.fct_ad_spend
        group by 1""",
    "cac": f"""
        with
        {NUMBERED_ORDERS},
        spend as (
            select cast(date_trunc('{{grain}}', spend_date) as date) as period, sum(spend_usd) as amount
            from marts.fct_ad_spend
            group by 1
        ),
        new_customers as (
            select cast(date_trunc('{{grain}}', order_date) as date) as period,
                   count(distinct customer_id) as customers
            from numbered_orders
            where not is_test_account and nth_order = 1
            group by 1
        )
        select coalesce(spend.period, new_customers.period),
               cast(coalesce(spend.amount, 0) as double) / nullif(new_customers.customers, 0)
        from spend
        full outer join new_customers on spend.period = new_customers.period""",
    "roas": f"""
        with
        revenue as (
            select cast(date_trunc('{{grain}}', order_date) as date) as period, sum(gross_revenue_usd) as amount
            from {REVENUE_ORDERS}
            group by 1
        ),
        spend as (
            select cast(date_trunc('{{grain}}', spend_date) as date) as period, sum(spend_usd) as amount
            from marts.fct_ad_spend
            group by 1
        )
        select coalesce(revenue.period, spend.period),
               cast(coalesce(revenue.amount, 0) as double) / nullif(spend.amount, 0)
        from revenue
        full outer join spend on revenue.period = spend.period""",
}

# Metrics whose time dimension is a month (subscription_month): checked at month grain only.
MONTHLY_ONLY = {"mrr", "active_subscriptions", "churned_subscriptions", "opening_subscriptions", "churn_rate"}

CASES = [(metric, grain) for metric in sorted(REFERENCE) for grain in GRAINS
         if not (grain == "day" and metric in MONTHLY_ONLY)]


def test_every_metric_has_a_reference_query(tiny_metrics):
    assert set(REFERENCE) == set(tiny_metrics.metric_names())


def test_cases_cover_every_grain_metricflow_offers(tiny_metrics):
    offered = {(m, g) for m in tiny_metrics.metric_names() for g in tiny_metrics.metric_grains(m) if g in GRAINS}
    assert set(CASES) == offered


@pytest.mark.parametrize(("metric", "grain"), CASES)
def test_metric_agrees_with_the_marts(tiny_metrics, assert_metric, metric, grain):
    expected = dict(tiny_metrics.connection.execute(REFERENCE[metric].format(grain=grain)).fetchall())
    assert expected, f"the reference query of {metric} returned nothing: the tiny warehouse lacks data"
    assert_metric(tiny_metrics, metric, grain, tiny_metrics.values(metric, grain), expected)


# Orders refunded in full: one successful payment, and one refund, of all of that payment.
FULLY_REFUNDED_ORDERS = """
    with
    successful_payments as (
        select order_id, count(*) as payment_count, any_value(payment_id) as payment_id,
               any_value(amount_local) as amount_local, any_value(amount_usd) as amount_usd
        from marts.fct_payments
        where is_successful
        group by order_id
    )
    select
        fct_orders.order_id,
        fct_orders.currency_code,
        successful_payments.amount_local as paid_local,
        successful_payments.amount_usd as paid_usd,
        fct_orders.gross_revenue_usd,
        fct_orders.refunded_amount_usd,
        fct_orders.gross_revenue_usd - fct_orders.refunded_amount_usd as net_usd
    from marts.fct_orders
    inner join successful_payments on fct_orders.order_id = successful_payments.order_id
    inner join marts.fct_refunds on successful_payments.payment_id = fct_refunds.payment_id
    where successful_payments.payment_count = 1 and fct_orders.refund_count = 1 and fct_refunds.is_full_refund
    order by fct_orders.order_id"""


def test_full_refunds_net_orders_to_zero(tiny_metrics):
    orders = tiny_metrics.connection.execute(FULLY_REFUNDED_ORDERS).fetchall()
    assert orders, "the tiny warehouse has no fully refunded order"
    off = [
        f"order {order_id} ({currency}): paid {paid_local} {currency} = {paid_usd} USD, gross revenue "
        f"{gross} USD, refunded {refunded} USD, nets to {net}"
        for order_id, currency, paid_local, paid_usd, gross, refunded, net in orders
        if net != 0
    ]
    assert not off, f"{len(off)} of {len(orders)} fully refunded orders do not net to 0.00:\n  " + "\n  ".join(off)
