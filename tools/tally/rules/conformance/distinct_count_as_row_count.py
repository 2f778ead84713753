"""MC009: A query counts rows where the metric counts distinct entities (customers who ordered, not orders)."""

from tally.rules.conformance.base import ConformanceRule


class DistinctCountAsRowCount(ConformanceRule):
    """A query counts rows where the metric counts distinct entities (customers who ordered, not orders).

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        A customer with three orders is one customer. Counting rows of an order table inflates the number by the repeat rate.

    Example:
        select count(customer_id) as customers
        from marts.fct_orders
        where not is_test_account and not is_cancelled

    Use instead:
        select count(distinct customer_id) as customers
        from marts.fct_orders
        where not is_test_account and not is_cancelled
    """

    code = "MC009"
    name = "distinct-count-as-row-count"
    kind = "count_distinct"
    summary = "A query counts rows where the metric counts distinct entities (customers who ordered, not orders)."
