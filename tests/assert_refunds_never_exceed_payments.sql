{#- Per order, the valid refunds never add up to more than the successful payments. Compared in
    the order's currency, where both are exact (validation quarantines refunds in another
    currency and refunds that would exceed their payment), rather than in rounded USD. -#}
with

payments as (

    select * from {{ ref('fct_payments') }}

),

refunds as (

    select * from {{ ref('fct_refunds') }}

),

paid_per_order as (

    select
        payments.order_id,
        sum(payments.amount_local) as paid_local
    from payments
    where payments.is_successful
    group by payments.order_id

),

refunded_per_order as (

    select
        refunds.order_id,
        sum(refunds.amount_local) as refunded_local
    from refunds
    group by refunds.order_id

),

compared as (

    select
        refunded_per_order.order_id,
        refunded_per_order.refunded_local,
        coalesce(paid_per_order.paid_local, 0) as paid_local
    from refunded_per_order
    left join paid_per_order
        on refunded_per_order.order_id = paid_per_order.order_id

)

select *
from compared
where refunded_local > paid_local
