"""MC006: A query groups a metric by a different time column than the metric's agg_time_dimension."""

from tally.rules.conformance.base import ConformanceRule


class MetricTimeDimensionMismatch(ConformanceRule):
    """A query groups a metric by a different time column than the metric's agg_time_dimension.

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        Revenue recognised on the order date and revenue grouped by payment or refund date land in different months; month-end and late events make the series disagree.

    Example:
        select date_trunc('month', first_paid_at) as month, sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled
        group by 1

    Use instead:
        select date_trunc('month', order_date) as month, sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled
        group by 1
    """

    code = "MC006"
    name = "metric-time-dimension-mismatch"
    kind = "time_dimension"
    summary = "A query groups a metric by a different time column than the metric's agg_time_dimension."
