{#- Payment attempts rolled up to their order: what was collected and how many attempts failed. -#}
with

payments as (

    select * from {{ ref('int_payments_converted_to_usd') }}

),

allocated as (

    select
        payments.order_id,
        count(*) as payment_attempts,
        sum(case when payments.is_successful then 0 else 1 end) as failed_payment_attempts,
        sum(case when payments.is_successful then payments.amount_usd else 0 end) as paid_amount_usd,
        min(case when payments.is_successful then payments.attempted_at end) as first_paid_at,
        max(payments.loaded_at) as payments_loaded_at
    from payments
    group by payments.order_id

)

select * from allocated
