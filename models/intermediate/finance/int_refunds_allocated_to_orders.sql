{#- Refunds rolled up to their order: how much went back and when. -#}
with

refunds as (

    select * from {{ ref('int_refunds_converted_to_usd') }}

),

allocated as (

    select
        refunds.order_id,
        count(*) as refund_count,
        sum(refunds.amount_usd) as refunded_amount_usd,
        min(refunds.refunded_at) as first_refunded_at,
        max(refunds.refunded_at) as last_refunded_at,
        max(refunds.loaded_at) as refunds_loaded_at
    from refunds
    group by refunds.order_id

)

select * from allocated
