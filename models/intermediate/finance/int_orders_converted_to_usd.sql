{#- Order headers with their line totals, in the order's currency and in USD at the order date's
    rate. Gross revenue is what the customer was charged: merchandise after line discounts plus
    shipping. It converts once, from the order total, so a full refund (of the whole payment, at
    the same rate) nets the order to exactly zero.
    Incremental (dbt_project.yml): a run recomputes exactly the orders with an order or a line
    written upstream since this model last ran, or that a line moved away from (processed_at:
    reloaded, or judged again without a reload, such as a changed test-account verdict or a
    line whose product arrived late); a post-hook deletes the orders quarantined now. A change
    of reference data (FX rates) needs a --full-refresh. -#}
{%- set in_range = ['1 = 1'] %}
{%- if is_incremental() %}
    {%- set mark = tally.processed_mark() -%}
    {%- set lines_written = tally.processed_since(ref('int_order_items_validated'), mark) -%}
    {%- if mark is not none %}
        {%- set in_range = tally.changed_keys_exactly('order_id', [
            (ref('int_orders_validated'), 'order_id', none, tally.processed_since(ref('int_orders_validated'), mark)),
            (ref('int_order_items_validated'), 'order_id', none, lines_written),
            (ref('int_order_items_validated'), 'moved_from_order_id', none, lines_written),
        ], mark) %}
    {%- endif %}
{%- endif %}
-- depends_on: {{ ref('int_order_items_validated') }}
with

orders as (

    {{ tally.select_in_ranges(ref('int_orders_validated'), in_range, where='quarantine_reason is null') }}

),

order_items as (

    {{ tally.select_in_ranges(ref('int_order_items_converted_to_usd'), in_range) }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled_to_days') }}

),

order_totals as (

    select
        order_items.order_id,
        count(*) as item_count,
        sum(order_items.quantity) as unit_count,
        sum(order_items.line_amount_local) as gross_amount_local,
        sum(order_items.discount_usd) as discount_usd,
        sum(order_items.line_revenue_usd) as merchandise_revenue_usd,
        max(order_items.loaded_at) as items_loaded_at
    from order_items
    group by order_items.order_id

),

converted as (

    select
        orders.order_id,
        orders.customer_id,
        orders.order_status,
        orders.is_cancelled,
        orders.is_returned,
        orders.is_test_account,
        orders.currency_code,
        orders.shipping_country_code,
        orders.placed_at,
        cast(orders.placed_at as date) as order_date,
        fx_rates.usd_per_unit as fx_usd_per_unit,
        coalesce(order_totals.item_count, 0) as item_count,
        coalesce(order_totals.unit_count, 0) as unit_count,
        coalesce(order_totals.gross_amount_local, 0) as gross_amount_local,
        coalesce(order_totals.discount_usd, 0) as discount_usd,
        coalesce(order_totals.merchandise_revenue_usd, 0) as merchandise_revenue_usd,
        {{ tally.convert_currency('orders.shipping_fee_local', 'fx_rates.usd_per_unit') }} as shipping_fee_usd,
        {{ tally.convert_currency(
            'coalesce(order_totals.gross_amount_local, 0) + coalesce(orders.shipping_fee_local, 0)',
            'fx_rates.usd_per_unit'
        ) }} as gross_revenue_usd,
        orders.cdc_lsn,
        orders.loaded_at as order_loaded_at,
        order_totals.items_loaded_at,
        {{ tally.processed_at() }} as processed_at
    from orders
    inner join fx_rates
        on
            cast(orders.placed_at as date) = fx_rates.rate_date
            and orders.currency_code = fx_rates.currency_code
    left join order_totals
        on orders.order_id = order_totals.order_id

)

select * from converted
