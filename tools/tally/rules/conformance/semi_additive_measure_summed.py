"""MC007: A query sums a semi-additive measure (one with a non_additive_dimension, like MRR or active subscriptions) across that dimension."""

from tally.rules.conformance.base import ConformanceRule


class SemiAdditiveMeasureSummed(ConformanceRule):
    """A query sums a semi-additive measure (one with a non_additive_dimension, like MRR or active subscriptions) across that dimension.

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        MRR is a monthly snapshot. Summing it over the months of a quarter triples it; the quarter's MRR is the last month's.

    Example:
        select date_trunc('year', subscription_month) as year, sum(mrr_usd) as mrr
        from marts.fct_subscription_months
        where not is_test_account
        group by 1

    Use instead:
        select subscription_month, sum(mrr_usd) as mrr
        from marts.fct_subscription_months
        where not is_test_account
        group by 1
    """

    code = "MC007"
    name = "semi-additive-measure-summed"
    kind = "semi_additive"
    summary = "A query sums a semi-additive measure (one with a non_additive_dimension, like MRR or active subscriptions) across that dimension."
