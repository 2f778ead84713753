"""MC004: A query replaces one of a metric's filters with a different condition on the same underlying column."""

from tally.rules.conformance.base import ConformanceRule


class MetricFilterChanged(ConformanceRule):
    """A query replaces one of a metric's filters with a different condition on the same underlying column.

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        `order_status = 'delivered'` and `is_cancelled = false` both read the order status but keep different orders; the number moves while the name stays.

    Example:
        select sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and order_status = 'delivered'

    Use instead:
        select sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled
    """

    code = "MC004"
    name = "metric-filter-changed"
    kind = "filter_changed"
    summary = "A query replaces one of a metric's filters with a different condition on the same underlying column."
