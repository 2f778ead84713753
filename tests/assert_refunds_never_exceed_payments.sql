{#- Per order, the valid refunds never add up to more than the successful payments. Compared in
    the order's currency, where both are exact (validation quarantines refunds in another
    currency and refunds that would exceed their payment), rather than in rounded USD.
    An incremental build checks the orders with a payment written since the last complete,
    passing build (processed_at: a payment that arrived or was judged again) or a refund
    delivered since (a refund judged again changes only when its payment does). -#}
{%- set written = tally.written_since_tested() -%}
{%- set delivered = tally.changed_keys_condition('refund_id', 'payments.refunds') -%}
{%- set in_scope = '1 = 1' -%}
{%- if written is not none and delivered is not none -%}
    {%- set in_scope = 'order_id in (select order_id from ' ~ ref('fct_payments') ~ ' where ' ~ written
        ~ ' union select order_id from ' ~ ref('fct_refunds') ~ ' where ' ~ delivered ~ ')' -%}
{%- endif %}
with

payments as (

    select * from {{ ref('fct_payments') }}
    where {{ in_scope }}

),

refunds as (

    select * from {{ ref('fct_refunds') }}
    where {{ in_scope }}

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
