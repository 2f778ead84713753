{#- Valid payment attempts in USD, at the rate of their order's date. -#}
with

payments as (

    select * from {{ ref('int_payments_validated') }}
    where quarantine_reason is null

),

orders as (

    select * from {{ ref('int_orders_converted_to_usd') }}

),

converted as (

    select
        payments.payment_id,
        payments.order_id,
        orders.customer_id,
        orders.is_test_account,
        payments.payment_method,
        payments.payment_status,
        payments.is_successful,
        payments.failure_code,
        payments.currency_code,
        payments.amount_local,
        {{ tally.convert_currency('payments.amount_local', 'orders.fx_usd_per_unit') }} as amount_usd,
        payments.attempted_at,
        cast(payments.attempted_at as date) as payment_date,
        payments.loaded_at
    from payments
    inner join orders
        on payments.order_id = orders.order_id

)

select * from converted
