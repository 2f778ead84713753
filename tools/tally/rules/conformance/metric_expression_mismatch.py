"""MC005: A query claims a metric (by column name or chart label) but aggregates another column or expression than the metric's measure."""

from tally.rules.conformance.base import ConformanceRule


class MetricExpressionMismatch(ConformanceRule):
    """A query claims a metric (by column name or chart label) but aggregates another column or expression than the metric's measure.

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        Revenue summed from payments, or net revenue taken from an order-level column, is a different number from the metric even when every filter matches.

    Example:
        select sum(paid_amount_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled

    Use instead:
        select sum(gross_revenue_usd) as gross_revenue
        from marts.fct_orders
        where not is_test_account and not is_cancelled
    """

    code = "MC005"
    name = "metric-expression-mismatch"
    kind = "expression"
    summary = "A query claims a metric (by column name or chart label) but aggregates another column or expression than the metric's measure."
