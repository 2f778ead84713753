{#- Every customer with a non-cancelled order has exactly one first order, and nobody else has
    one: fct_orders' first orders and dim_customers' ordering customers must count the same.
    Uses the package's equal_row_count generic test. -#}
{{ tally.test_equal_row_count(
    model=ref('fct_orders'),
    compare_model=ref('dim_customers'),
    where_model='is_first_order',
    where_compare='lifetime_orders > 0'
) }}
