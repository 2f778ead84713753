{#- Valid refunds in USD, at the rate of their order's date, so a full refund nets the order's
    revenue to exactly zero whatever the currency did in between. -#}
with

refunds as (

    select * from {{ ref('int_refunds_validated') }}
    where quarantine_reason is null

),

payments as (

    -- The valid payments from their table: through int_payments_converted_to_usd, every payment
    -- was joined to its order before the refunds picked theirs (3-6 s at scale 10). The join to
    -- the orders below drops the payments of orders without a conversion the same way.
    select * from {{ ref('int_payments_validated') }}
    where quarantine_reason is null

),

orders as (

    select * from {{ ref('int_orders_converted_to_usd') }}

),

converted as (

    select
        refunds.refund_id,
        refunds.payment_id,
        payments.order_id,
        orders.customer_id,
        orders.is_test_account,
        orders.is_cancelled as is_order_cancelled,
        orders.order_date,
        refunds.refund_reason,
        refunds.currency_code,
        refunds.amount_local,
        {{ tally.convert_currency('refunds.amount_local', 'orders.fx_usd_per_unit') }} as amount_usd,
        refunds.amount_local = payments.amount_local as is_full_refund,
        refunds.refunded_at,
        cast(refunds.refunded_at as date) as refund_date,
        refunds.loaded_at
    from refunds
    inner join payments
        on refunds.payment_id = payments.payment_id
    inner join orders
        on payments.order_id = orders.order_id

)

select * from converted
