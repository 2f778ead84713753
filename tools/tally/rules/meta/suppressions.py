"""TL001 and TL002: inline suppressions that do not say why, or name no real rule."""

from tally.rules.base import Rule


class SuppressionWithoutReason(Rule):
    """An inline suppression that does not give its reason.

    What it does:
        `-- tally: ignore[CODE]` must be followed by `because <reason>`. Without one the
        suppression is not honoured and this finding is reported where it stands.

    Why it matters:
        A silenced finding is a decision; the next reader needs to know why it was right.

    Example:
        select sum(gross_revenue_usd) as lifetime_revenue  -- tally: ignore[MC002]

    Use instead:
        select sum(gross_revenue_usd) as lifetime_revenue  -- tally: ignore[MC002] because per-customer lifetime value includes test accounts by design
    """

    code = "TL001"
    name = "suppression-without-reason"
    family = "suppressions"
    summary = "An inline suppression that does not give its reason."


class SuppressionOfUnknownRule(Rule):
    """An inline suppression naming a code that is not a tally rule.

    What it does:
        Reports `-- tally: ignore[...]` comments whose codes match no rule or family.

    Why it matters:
        A mistyped code suppresses nothing, and the finding it meant to silence stays; or the
        rule was renamed and the comment is stale.

    Example:
        -- tally: ignore[MC999] because legacy

    Use instead:
        -- tally: ignore[MC002] because legacy board, replaced in Q3
    """

    code = "TL002"
    name = "suppression-of-unknown-rule"
    family = "suppressions"
    summary = "An inline suppression naming a code that is not a tally rule."
