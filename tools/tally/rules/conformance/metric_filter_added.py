"""MC003: A query adds a filter on the columns a metric's definition filters on (status, test flags) that the metric does not have."""

from tally.rules.conformance.base import ConformanceRule


class MetricFilterAdded(ConformanceRule):
    """A query adds a filter on the columns a metric's definition filters on (status, test flags) that the metric does not have.

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        Restricting on the definition's own columns (say, only delivered orders) computes another metric under the same name. Slicing by other dimensions (a country, a date range) is allowed and not reported.

    Example:
        select sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled and not is_returned

    Use instead:
        select sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled
    """

    code = "MC003"
    name = "metric-filter-added"
    kind = "filter_added"
    summary = "A query adds a filter on the columns a metric's definition filters on (status, test flags) that the metric does not have."
