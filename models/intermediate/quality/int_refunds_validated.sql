{#- Every refund with the reason it cannot be trusted, if any. A refund that would take the
    payment's refunded total above the amount paid is quarantined, not capped; the running total
    counts only refunds that passed every other check, so a quarantined refund never pushes a
    later valid one over the limit. -#}
with

refunds as (

    select * from {{ ref('stg_payments__refunds') }}

),

payments as (

    select * from {{ ref('int_payments_validated') }}

),

checked_individually as (

    select
        refunds.*,
        payments.order_id,
        payments.amount_local as payment_amount_local,
        case
            when refunds.refund_id is null then 'null_key'
            when payments.payment_id is null then 'unknown_payment'
            when payments.quarantine_reason is not null then 'payment_quarantined'
            when not payments.is_successful then 'refund_of_failed_payment'
            when refunds.amount_local < 0 then 'negative_amount'
            when refunds.currency_code <> payments.currency_code then 'currency_mismatch'
        end as individual_reason
    from refunds
    left join payments
        on refunds.payment_id = payments.payment_id

),

with_running_total as (

    select
        checked_individually.*,
        sum(case when checked_individually.individual_reason is null then checked_individually.amount_local end)
            over (
                partition by checked_individually.payment_id
                order by checked_individually.refunded_at, checked_individually.refund_id
                rows between unbounded preceding and current row
            ) as refunded_to_date_local
    from checked_individually

),

checked as (

    select
        with_running_total.*,
        coalesce(
            with_running_total.individual_reason,
            case
                when with_running_total.refunded_to_date_local > with_running_total.payment_amount_local
                    then 'refund_exceeds_payment'
            end
        ) as quarantine_reason
    from with_running_total

)

select * from checked
