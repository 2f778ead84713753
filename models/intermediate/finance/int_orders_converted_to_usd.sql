{#- Order headers with their line totals, in the order's currency and in USD at the order date's
    rate. Gross revenue is what the customer was charged: merchandise after line discounts plus
    shipping. It converts once, from the order total, so a full refund (of the whole payment, at
    the same rate) nets the order to exactly zero.
    Incremental (dbt_project.yml): a run recomputes every order at or above the smallest order id
    with an order version or a line loaded since the high-water mark, or judged again upstream
    (valid now but not here, a changed test-account verdict, a changed count of valid lines); a
    post-hook deletes the orders that left the valid set. A change of reference data (FX rates)
    needs a --full-refresh. -#}
{%- if is_incremental() %}
    {%- set rejudged -%}
        select validated.order_id
        from {{ ref('int_orders_validated') }} as validated
        left join {{ this }} as converted
            on validated.order_id = converted.order_id
        where
            validated.quarantine_reason is null
            and (
                converted.order_id is null
                or converted.is_test_account is distinct from validated.is_test_account
            )
    {%- endset %}
    {#- A line judged again upstream without a reload (its product arrived late, say) changes
        its order's totals: compare the valid line count. -#}
    {%- set lines_changed -%}
        select converted.order_id
        from {{ this }} as converted
        left join (
            select order_id, count(*) as item_count
            from {{ ref('int_order_items_validated') }}
            where quarantine_reason is null
            group by order_id
        ) as lines
            on converted.order_id = lines.order_id
        where converted.item_count <> coalesce(lines.item_count, 0)
    {%- endset %}
    {%- set mark = tally.incremental_mark('greatest(order_loaded_at, coalesce(items_loaded_at, order_loaded_at))') -%}
    {%- set floor = tally.changed_key_floor([
        (ref('int_orders_validated'), 'order_id', 'loaded_at'),
        (ref('int_order_items_validated'), 'order_id', 'loaded_at'),
        ('(' ~ rejudged ~ ') as rejudged', 'order_id', none),
        ('(' ~ lines_changed ~ ') as lines_changed', 'order_id', none),
    ], mark) %}
{%- endif %}
{%- set in_range = tally.key_at_or_above('order_id', floor) if is_incremental() and mark is not none else '1 = 1' %}
-- depends_on: {{ ref('int_order_items_validated') }}
with

orders as (

    select * from {{ ref('int_orders_validated') }}
    where quarantine_reason is null and {{ in_range }}

),

order_items as (

    select * from {{ ref('int_order_items_converted_to_usd') }}
    where {{ in_range }}

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
        order_totals.items_loaded_at
    from orders
    inner join fx_rates
        on
            cast(orders.placed_at as date) = fx_rates.rate_date
            and orders.currency_code = fx_rates.currency_code
    left join order_totals
        on orders.order_id = order_totals.order_id

)

select * from converted
