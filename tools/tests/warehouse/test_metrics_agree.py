"""On the generated tiny warehouse, MetricFlow's metrics equal plain SQL over the marts.

Every metric has one reference query in REFERENCE, written straight from the metric's documented
definition (its description in models/marts/**/_*__semantic.yml). It uses the marts' columns and
does not use MetricFlow. Each query returns `(period, value)` rows for a `{grain}` of day or month.
The same rules apply throughout:
* ratios are ratios of sums over the period: a numerator of nothing is 0, and a denominator of
  nothing leaves the ratio without a value (NULL);
* conversion_rate follows each session 7 days forward, to an order by the same customer;
* the cumulative metric is a running total to each period's last day, over the time spine;
* mrr and active_subscriptions are the month's snapshot (rows of that subscription_month).

Comparison (conftest.metric_differences): money to the cent, counts exactly, ratios to 1e-9
relative. A period missing from a simple or derived metric counts as 0.
"""

from __future__ import annotations

import pytest

GRAINS = ("day", "month")

# Orders that count as revenue: real customers, not cancelled.
REVENUE_ORDERS = "marts.fct_orders where not is_test_account and not is_cancelled"

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
    "refunds": """
        select cast(date_trunc('{grain}', refund_date) as date), sum(amount_usd)
        from marts.fct_refunds
        where not is_test_account
        group by 1""",
    # Gross revenue of the period minus refunds issued in the period, both without cancelled
    # orders and test accounts.
    "net_revenue": f"""
        with
        revenue as (
            select cast(date_trunc('{{grain}}', order_date) as date) as period, sum(gross_revenue_usd) as amount
            from {REVENUE_ORDERS}
            group by 1
        ),
        refunded as (
            select cast(date_trunc('{{grain}}', fct_refunds.refund_date) as date) as period,
                   sum(fct_refunds.amount_usd) as amount
            from marts.fct_refunds
            inner join marts.fct_orders on fct_refunds.order_id = fct_orders.order_id
            where not fct_orders.is_test_account and not fct_orders.is_cancelled
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
    # A session converts when its customer places an order (any status, not a test account)
    # within 7 days after the session started. Anonymous sessions never convert.
    "conversion_rate": """
        with sessions_followed as (
            select
                fct_sessions.session_id,
                fct_sessions.session_date,
                bool_or(fct_orders.order_id is not null) as has_converted
            from marts.fct_sessions
            left join marts.fct_orders
                on
                    fct_orders.customer_id = fct_sessions.customer_id
                    and not fct_orders.is_test_account
                    and fct_orders.placed_at >= fct_sessions.started_at
                    and fct_orders.placed_at <= fct_sessions.started_at + interval 7 day
            group by 1, 2
        )
        select cast(date_trunc('{grain}', session_date) as date),
               cast(count_if(has_converted) as double) / count(*)
        from sessions_followed
        group by 1""",
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
