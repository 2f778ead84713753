{#- Order lines priced in decimals of the order's currency and in USD, at the rate of the order
    date (UTC), so every amount of one order converts at the same rate. -#}
with

order_items as (

    select * from {{ ref('int_order_items_validated') }}
    where quarantine_reason is null

),

orders as (

    select * from {{ ref('int_orders_validated') }}
    where quarantine_reason is null

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled_to_days') }}

),

in_order_currency as (

    select
        order_items.order_item_id,
        order_items.order_id,
        order_items.product_id,
        orders.customer_id,
        orders.currency_code,
        orders.placed_at,
        cast(orders.placed_at as date) as order_date,
        order_items.quantity,
        {{ tally.minor_to_decimal('order_items.unit_price_minor', 'orders.currency_code') }} as unit_price_local,
        {{ tally.minor_to_decimal('order_items.discount_minor', 'orders.currency_code') }} as discount_local,
        order_items.loaded_at
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id

),

converted as (

    select
        in_order_currency.*,
        cast(
            in_order_currency.quantity * in_order_currency.unit_price_local - in_order_currency.discount_local
            as {{ tally.type_money(2) }}
        ) as line_amount_local,
        fx_rates.usd_per_unit as fx_usd_per_unit
    from in_order_currency
    inner join fx_rates
        on
            in_order_currency.order_date = fx_rates.rate_date
            and in_order_currency.currency_code = fx_rates.currency_code

),

final as (

    select
        converted.*,
        {{ tally.convert_currency('converted.unit_price_local', 'converted.fx_usd_per_unit') }} as unit_price_usd,
        {{ tally.convert_currency('converted.discount_local', 'converted.fx_usd_per_unit') }} as discount_usd,
        {{ tally.convert_currency('converted.line_amount_local', 'converted.fx_usd_per_unit') }} as line_revenue_usd
    from converted

)

select * from final
