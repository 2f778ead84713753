"""MC001: A query aggregates a metric's measure with another function than the metric."""

from tally.rules.conformance.base import ConformanceRule


class MetricAggregationMismatch(ConformanceRule):
    """A query aggregates a metric's measure with another function than the metric.

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        Averaging where a metric sums (or taking the max) produces a number with the metric's name and a different meaning. Two dashboards showing "revenue" then disagree by a factor no filter explains.

    Example:
        select avg(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled

    Use instead:
        select sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled
    """

    code = "MC001"
    name = "metric-aggregation-mismatch"
    kind = "aggregation"
    summary = "A query aggregates a metric's measure with another function than the metric."
