{#- Every payment attempt with the reason it cannot be trusted, if any. -#}
with

payments as (

    select * from {{ ref('stg_payments__payments') }}

),

orders as (

    select * from {{ ref('int_orders_validated') }}

),

currencies as (

    select * from {{ ref('stg_reference__currencies') }}

),

checked as (

    select
        payments.*,
        case
            when payments.payment_id is null then 'null_key'
            when orders.order_id is null then 'unknown_order'
            when orders.quarantine_reason is not null then 'order_quarantined'
            when currencies.currency_code is null then 'unknown_currency'
            when payments.currency_code <> orders.currency_code then 'currency_mismatch'
            when payments.amount_local < 0 then 'negative_amount'
            when payments.attempted_at > {{ dbt.dateadd('day', 1, 'payments.loaded_at') }} then 'future_timestamp'
            when payments.first_loaded_at > {{ tally.month_closes_at('payments.attempted_at') }}
                then 'late_for_closed_month'
        end as quarantine_reason
    from payments
    left join orders
        on payments.order_id = orders.order_id
    left join currencies
        on payments.currency_code = currencies.currency_code

)

select * from checked
