{#- MRR is never negative, and a subscription month that is not active at month end (paused,
    churned) carries no MRR. Uses the package's expression_is_true generic test. -#}
{{ tally.test_expression_is_true(
    model=ref('fct_subscription_months'),
    expression='mrr_usd >= 0 and (is_active or mrr_usd = 0)'
) }}
