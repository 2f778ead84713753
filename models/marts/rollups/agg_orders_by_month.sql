{#-
    The monthly order and revenue metrics, computed once per build so boards read a row per month
    instead of scanning every order (at scale 10, counting distinct customers per month over 10M
    orders took 0.6 s per board query). Each column is its metric exactly as MetricFlow computes it
    at month grain; tools/tests/warehouse/test_boards_agree.py compares them.
    Incremental (dbt_project.yml): each build writes every month, but counts the orders again only
    in the months whose orders moved since the last one (months_to_recompute); the others keep
    their stored order figures (a distinct count over 10M orders took 2 s at scale 10). Refunds,
    0.6M rows, are summed again in full. A month no build writes any more (its last order gone,
    no refund) is deleted by the post-hook.
-#}
{%- set months_recomputed, orders_in_range = none, '1 = 1' -%}
{%- if is_incremental() -%}
    {%- set mark = tally.processed_mark() -%}
    {%- if mark is not none -%}
        {%- set months_recomputed = tally.months_to_recompute(
            ref('fct_orders'), 'order_date', mark, 'not is_test_account and not is_cancelled', 'orders') -%}
        {%- set orders_in_range = tally.month_in('order_date', months_recomputed) -%}
    {%- endif -%}
{%- endif %}
with

orders as (

    -- gross_revenue, orders, customers, new_customers: non-cancelled orders of real customers,
    -- on the UTC order date
    select
        *,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start
    from {{ ref('fct_orders') }}
    where not is_test_account and not is_cancelled and {{ orders_in_range }}

),

refunds as (

    -- refunds: money returned to real customers against orders that were not cancelled, on the
    -- UTC date the refund was issued
    select
        *,
        cast({{ dbt.date_trunc('month', 'refund_date') }} as date) as month_start
    from {{ ref('fct_refunds') }}
    where not is_test_account and not is_order_cancelled

),

orders_by_month as (

    select
        month_start,
        sum(gross_revenue_usd) as gross_revenue,
        count(order_id) as orders,
        count(distinct customer_id) as customers,
        count(distinct customer_id) filter (where is_first_order) as new_customers
    from orders
    group by month_start
    {%- if months_recomputed is not none %}

    union all

    -- the months whose orders did not move, as stored
    select month_start, gross_revenue, orders, customers, new_customers
    from {{ this }}
    where orders is not null
        {%- if months_recomputed | length > 0 %}
        and month_start not in ({{ months_recomputed | join(', ') }})
        {%- endif %}
    {%- endif %}

),

refunds_by_month as (

    select
        month_start,
        sum(amount_usd) as refunds
    from refunds
    group by month_start

),

final as (

    select
        coalesce(orders_by_month.month_start, refunds_by_month.month_start) as month_start,
        cast(orders_by_month.gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(refunds_by_month.refunds as decimal(18, 2)) as refunds,
        -- a month without orders or without refunds counts that side as 0, as MetricFlow does
        cast(
            coalesce(orders_by_month.gross_revenue, 0) - coalesce(refunds_by_month.refunds, 0)
            as decimal(18, 2)
        ) as net_revenue,
        cast(orders_by_month.orders as bigint) as orders,
        cast(orders_by_month.customers as bigint) as customers,
        cast(orders_by_month.new_customers as bigint) as new_customers,
        cast({{ tally.processed_at() }} as timestamp) as processed_at
    from orders_by_month
    full outer join refunds_by_month on orders_by_month.month_start = refunds_by_month.month_start

)

select * from final
