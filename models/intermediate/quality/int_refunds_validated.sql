{#- Every refund with the reason it cannot be trusted, if any. A refund that would take the
    payment's refunded total above the amount paid is quarantined, not capped. -#}
with

refunds as (

    select * from {{ ref('stg_payments__refunds') }}

),

payments as (

    select * from {{ ref('int_payments_validated') }}

),

refunds_with_running_total as (

    select
        refunds.*,
        sum(refunds.amount_local) over (
            partition by refunds.payment_id
            order by refunds.refunded_at, refunds.refund_id
            rows between unbounded preceding and current row
        ) as refunded_to_date_local
    from refunds

),

checked as (

    select
        refunds_with_running_total.*,
        payments.order_id,
        case
            when refunds_with_running_total.refund_id is null then 'null_key'
            when payments.payment_id is null then 'unknown_payment'
            when payments.quarantine_reason is not null then 'payment_quarantined'
            when not payments.is_successful then 'refund_of_failed_payment'
            when refunds_with_running_total.amount_local < 0 then 'negative_amount'
            when refunds_with_running_total.currency_code <> payments.currency_code then 'currency_mismatch'
            when refunds_with_running_total.refunded_to_date_local > payments.amount_local then 'refund_exceeds_payment'
        end as quarantine_reason
    from refunds_with_running_total
    left join payments
        on refunds_with_running_total.payment_id = payments.payment_id

)

select * from checked
