{#- A line's discount never exceeds its price: line revenue is never negative. Uses the
    package's accepted_range generic test. -#}
{{ tally.test_accepted_range(
    model=ref('fct_order_items'),
    column_name='line_revenue_usd',
    min_value=0
) }}
