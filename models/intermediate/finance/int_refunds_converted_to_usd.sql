{#- Valid refunds in USD, at the rate of their order's date, so a full refund nets the order's
    revenue to exactly zero whatever the currency did in between.
    Incremental (dbt_project.yml): a run converts again the refunds written to
    int_refunds_validated since this model last ran (processed_at), and those of an order
    converted again since (a cancellation, a changed test-account flag). Refunds quarantined now
    are deleted by the post-hook; a refund whose order left the valid set is among them (its
    payment is quarantined with the order). -#}
{%- if is_incremental() %}
    {%- set processed_mark = tally.processed_mark() %}
{%- endif %}
{%- set incremental = is_incremental() and processed_mark is not none %}
with

refunds as (

    select * from {{ ref('int_refunds_validated') }}
    where quarantine_reason is null
    {%- if incremental %}
        and (
            {{ tally.processed_since(ref('int_refunds_validated'), processed_mark) }}
            or order_id in (
                select order_id from {{ ref('int_orders_converted_to_usd') }}
                where {{ tally.processed_since(ref('int_orders_converted_to_usd'), processed_mark) }}
            )
        )
    {%- endif %}

),

orders as (

    select * from {{ ref('int_orders_converted_to_usd') }}

),

converted as (

    select
        refunds.refund_id,
        refunds.payment_id,
        refunds.order_id,
        orders.customer_id,
        orders.is_test_account,
        orders.is_cancelled as is_order_cancelled,
        orders.order_date,
        refunds.refund_reason,
        refunds.currency_code,
        refunds.amount_local,
        {{ tally.convert_currency('refunds.amount_local', 'orders.fx_usd_per_unit') }} as amount_usd,
        refunds.amount_local = refunds.payment_amount_local as is_full_refund,
        refunds.refunded_at,
        cast(refunds.refunded_at as date) as refund_date,
        refunds.loaded_at,
        {{ tally.processed_at() }} as processed_at
    -- A valid refund's payment is valid (int_refunds_validated checks it and carries its order
    -- and amount), so the payments are not read again. Refunds of an order without a
    -- conversion stay out here, as its payments do.
    from refunds
    inner join orders
        on refunds.order_id = orders.order_id

)

select * from converted
