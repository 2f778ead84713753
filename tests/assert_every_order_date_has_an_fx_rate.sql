{#- The FX seed covers every day an order was placed on, in the order's currency: no order is
    held out of the marts for want of a rate, and every order in fct_orders converted at the
    (forward-filled) rate of its UTC order date. Returns the orders that break either rule. -#}
with

validated_orders as (

    select * from {{ ref('int_orders_validated') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled_to_days') }}

),

quarantined_for_want_of_a_rate as (

    select
        validated_orders.order_id,
        validated_orders.currency_code,
        cast(validated_orders.placed_at as date) as order_date,
        'quarantined: missing_fx_rate' as problem
    from validated_orders
    where validated_orders.quarantine_reason = 'missing_fx_rate'

),

converted_at_another_rate as (

    select
        orders.order_id,
        orders.currency_code,
        orders.order_date,
        'fx_usd_per_unit differs from the rate of the order date' as problem
    from orders
    left join fx_rates
        on
            orders.order_date = fx_rates.rate_date
            and orders.currency_code = fx_rates.currency_code
    where
        fx_rates.usd_per_unit is null
        or orders.fx_usd_per_unit <> fx_rates.usd_per_unit

)

select * from quarantined_for_want_of_a_rate
union all
select * from converted_at_another_rate
