{%- set order_verdict = tally.payment_order_verdict('orders') -%}
{#- Every payment attempt with the reason it cannot be trusted, if any.
    Incremental (dbt_project.yml): a run reprocesses the payments whose latest version was
    loaded since the high-water mark, and the payments whose order verdict no longer holds (an
    order that arrived late, was quarantined or changed currency), reading staging above the
    smallest such key only (macros/project/incremental_window.sql). order_verdict keeps what
    each payment was judged against: null for an unknown order, 'quarantined', or the order's
    currency; a table built before that column existed has every payment reprocessed once. A
    change of reference data (currencies) needs a --full-refresh. -#}
{%- if is_incremental() %}
    {#- Only the orders written since this model last ran can have changed a verdict: the others
        are left out before the join (joining every payment to every order took 2-4 s at scale 10). -#}
    {%- set processed_mark = tally.processed_mark() %}
    {%- set payments_with_changed_order = tally.rejudged_keys('payment_id', [(
        '(select * from ' ~ ref('int_orders_validated') ~ ' where '
            ~ tally.processed_since(ref('int_orders_validated'), processed_mark) ~ ')',
        'orders', 'validated.order_id = orders.order_id'
    )], 'validated.order_verdict', order_verdict,
        where=none if processed_mark is none else 'orders.order_id is not null') %}
    {%- if not tally.relation_has_column(this, 'order_verdict') %}
        {%- set payments_with_changed_order = 'select payment_id from ' ~ this ~ ' where payment_id is not null' %}
    {%- endif %}
{%- endif %}
with

payments as (

    select * from {{ ref('stg_payments__payments') }}
    {%- if is_incremental() %}
    where {{ tally.changed_since_mark(
        ref('stg_payments__payments'), 'payment_id', rejudge=payments_with_changed_order
    ) }}
    {%- endif %}

),
{%- if is_incremental() %}

-- The order each reprocessed row had before: a payment re-delivered under another order
-- changes the old order's totals too, and only this table still knows it.
stored_orders as (

    select payment_id, order_id from {{ this }}
    where payment_id in (select payments.payment_id from payments)

),
{%- endif %}

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
        end as quarantine_reason,
        {{ order_verdict }} as order_verdict,
        {{ tally.moved_from_parent('stored_orders.order_id', 'payments.order_id') }} as moved_from_order_id,
        {{ tally.processed_at() }} as processed_at
    from payments
    left join orders
        on payments.order_id = orders.order_id
    left join currencies
        on payments.currency_code = currencies.currency_code
    {%- if is_incremental() %}
    left join stored_orders
        on payments.payment_id = stored_orders.payment_id
    {%- endif %}

)

select * from checked
