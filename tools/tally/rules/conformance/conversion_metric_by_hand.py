"""MC010: A query claims a conversion metric but computes it by hand."""

from tally.rules.conformance.base import ConformanceRule


class ConversionMetricByHand(ConformanceRule):
    """A query claims a conversion metric but computes it by hand.

    What it does:
        Compares every aggregate column of a query with the metric it names (by alias or chart
        label) or whose measure it aggregates, and reports this difference.

    Why it matters:
        A conversion metric pairs each base event with a later conversion event of the same entity inside a window, de-duplicated. A hand-written ratio of two counts misses the pairing and the window and is a different number.

    Example:
        select count(distinct case when has_purchase then session_id end) * 1.0 / count(*) as conversion_rate
        from marts.fct_sessions

    Use instead:
        the MetricFlow query for the metric: mf query --metrics conversion_rate --group-by metric_time__month
    """

    code = "MC010"
    name = "conversion-metric-by-hand"
    kind = "conversion"
    summary = "A query claims a conversion metric but computes it by hand."
