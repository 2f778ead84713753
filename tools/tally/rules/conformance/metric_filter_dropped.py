"""MC002: A query computes a metric without one of the metric's filters (test accounts, cancelled orders, status)."""

from tally.rules.conformance.base import ConformanceRule


class MetricFilterDropped(ConformanceRule):
    """A query computes a metric without one of the metric's filters (test accounts, cancelled orders, status).

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        The filter is part of the definition. Dropping it silently adds rows the business excluded: internal test orders counted as revenue, cancelled orders counted as sales.

    Example:
        select sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_cancelled

    Use instead:
        select sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled
    """

    code = "MC002"
    name = "metric-filter-dropped"
    kind = "filter_dropped"
    summary = "A query computes a metric without one of the metric's filters (test accounts, cancelled orders, status)."
