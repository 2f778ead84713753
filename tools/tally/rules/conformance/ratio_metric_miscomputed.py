"""MC008: A query computes a ratio metric as an average of ratios, or from a numerator or denominator other than the metric's."""

from tally.rules.conformance.base import ConformanceRule


class RatioMetricMiscomputed(ConformanceRule):
    """A query computes a ratio metric as an average of ratios, or from a numerator or denominator other than the metric's.

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        The average of daily order values is not the period's average order value; a ratio is the ratio of the sums. A wrong part (net instead of gross revenue, sessions instead of customers) changes the meaning entirely.

    Example:
        select avg(daily_aov) as average_order_value from (
          select order_date, sum(gross_revenue_usd) / count(*) as daily_aov
          from marts.fct_orders where not is_test_account and not is_cancelled
          group by 1
        ) as days

    Use instead:
        select sum(gross_revenue_usd) / count(*) as average_order_value
        from marts.fct_orders
        where not is_test_account and not is_cancelled
    """

    code = "MC008"
    name = "ratio-metric-miscomputed"
    kind = "ratio"
    summary = "A query computes a ratio metric as an average of ratios, or from a numerator or denominator other than the metric's."
