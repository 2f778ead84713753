{#- Incremental runs rebuild the lines of exactly the orders with a line loaded since the
    high-water mark or converted again since this model last ran (its processed_at: a
    cancellation, a late line, a changed test-account flag, with or without a new load). The
    smallest of them is a literal the engine pushes into the line and order scans below the
    views (changed_keys_exactly). -#}
{%- set changed = tally.orders_changed_since_last_run(ref('int_order_items_validated')) %}
-- depends_on: {{ ref('int_order_items_validated') }}, {{ ref('int_orders_converted_to_usd') }}
with

order_items as (

    {{ tally.select_in_ranges(ref('int_order_items_converted_to_usd'), changed.ranges) }}

),

orders as (

    {{ tally.select_in_ranges(ref('int_orders_converted_to_usd'), changed.ranges) }}

),

final as (

    select
        cast(order_items.order_item_id as bigint) as order_item_id,
        cast(order_items.order_id as bigint) as order_id,
        cast(order_items.product_id as bigint) as product_id,
        cast(order_items.customer_id as bigint) as customer_id,
        cast(orders.is_cancelled as boolean) as is_cancelled,
        cast(orders.is_test_account as boolean) as is_test_account,
        cast(order_items.currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(order_items.quantity as integer) as quantity,
        cast(order_items.unit_price_local as decimal(18, 2)) as unit_price_local,
        cast(order_items.unit_price_usd as decimal(18, 2)) as unit_price_usd,
        cast(order_items.discount_usd as decimal(18, 2)) as discount_usd,
        cast(order_items.line_revenue_usd as decimal(18, 2)) as line_revenue_usd,
        cast(order_items.order_date as date) as order_date,
        cast(order_items.loaded_at as timestamp) as loaded_at,
        cast({{ tally.processed_at() }} as timestamp) as processed_at
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    {% if changed.mark is not none %}
    -- A line changes when it or its order does (a cancellation, say).
    where order_items.loaded_at > {{ changed.mark }} or orders.processed_at > {{ changed.processed_mark }}
    {% endif %}

)

select * from final
