{#- Incremental runs rebuild exactly the orders with anything new since this model last ran:
    an order converted again, a payment written or a refund loaded since then (valid or not: a
    late refund quarantined for exceeding the payment can push the order's valid ones out of the
    roll-up, and the order out of it entirely), or a customer
    number that moved (int_orders_sequenced_per_customer writes only the orders it renumbered).
    The smallest of them is a literal the engine pushes into every input's scan, below the
    payment and refund rollups (changed_keys_exactly). Orders that left the valid set are
    deleted by the model's post-hook (dbt_project.yml). -#}
{%- set in_range = ['1 = 1'] -%}
{%- if is_incremental() %}
    {%- set processed_mark = tally.processed_mark() %}
    {%- if processed_mark is not none %}
        {%- set payments_written = tally.processed_since(ref('int_payments_validated'), processed_mark) %}
        {%- set in_range = tally.changed_keys_exactly('order_id', [
            (ref('int_orders_converted_to_usd'), 'order_id', none,
                tally.processed_since(ref('int_orders_converted_to_usd'), processed_mark)),
            (ref('int_payments_validated'), 'order_id', none, payments_written),
            (ref('int_payments_validated'), 'moved_from_order_id', none, payments_written),
            (ref('int_orders_sequenced_per_customer'), 'order_id', none,
                tally.processed_since(ref('int_orders_sequenced_per_customer'), processed_mark)),
            (ref('int_refunds_validated'), 'order_id', 'loaded_at'),
        ], tally.incremental_mark('source_loaded_at')) %}
    {%- endif %}
{%- endif %}
-- depends_on: {{ ref('int_payments_validated') }}, {{ ref('int_orders_validated') }}
-- depends_on: {{ ref('int_refunds_validated') }}
with

orders as (

    {{ tally.select_in_ranges(ref('int_orders_converted_to_usd'), in_range) }}

),

payments as (

    {{ tally.select_in_ranges(ref('int_payments_allocated_to_orders'), in_range) }}

),

refunds as (

    {{ tally.select_in_ranges(ref('int_refunds_allocated_to_orders'), in_range) }}

),

order_sequence as (

    {{ tally.select_in_ranges(ref('int_orders_sequenced_per_customer'), in_range) }}

),

orders_with_money_movements as (

    select
        orders.*,
        coalesce(payments.payment_attempts, 0) as payment_attempts,
        coalesce(payments.failed_payment_attempts, 0) as failed_payment_attempts,
        coalesce(payments.paid_amount_usd, 0) as paid_amount_usd,
        payments.first_paid_at,
        coalesce(refunds.refund_count, 0) as refund_count,
        coalesce(refunds.refunded_amount_usd, 0) as refunded_amount_usd,
        refunds.last_refunded_at,
        order_sequence.customer_order_number,
        -- The newest input that touched the order; the incremental high-water mark.
        greatest(
            orders.order_loaded_at,
            coalesce(orders.items_loaded_at, orders.order_loaded_at),
            coalesce(payments.payments_loaded_at, orders.order_loaded_at),
            coalesce(refunds.refunds_loaded_at, orders.order_loaded_at)
        ) as source_loaded_at
    from orders
    left join payments
        on orders.order_id = payments.order_id
    left join refunds
        on orders.order_id = refunds.order_id
    left join order_sequence
        on orders.order_id = order_sequence.order_id

),

final as (

    select
        cast(order_id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,
        cast(order_status as {{ dbt.type_string() }}) as order_status,
        cast(is_cancelled as boolean) as is_cancelled,
        cast(is_returned as boolean) as is_returned,
        cast(is_test_account as boolean) as is_test_account,
        cast(customer_order_number as integer) as customer_order_number,
        cast(coalesce(customer_order_number = 1, false) as boolean) as is_first_order,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(shipping_country_code as {{ dbt.type_string() }}) as shipping_country_code,
        cast(fx_usd_per_unit as decimal(18, 6)) as fx_usd_per_unit,
        cast(item_count as integer) as item_count,
        cast(unit_count as integer) as unit_count,
        cast(gross_amount_local as decimal(18, 2)) as gross_amount_local,
        cast(discount_usd as decimal(18, 2)) as discount_usd,
        cast(gross_revenue_usd as decimal(18, 2)) as gross_revenue_usd,
        cast(shipping_fee_usd as decimal(18, 2)) as shipping_fee_usd,
        cast(paid_amount_usd as decimal(18, 2)) as paid_amount_usd,
        cast(refunded_amount_usd as decimal(18, 2)) as refunded_amount_usd,
        cast(gross_revenue_usd - refunded_amount_usd as decimal(18, 2)) as net_of_refunds_revenue_usd,
        cast(payment_attempts as integer) as payment_attempts,
        cast(failed_payment_attempts as integer) as failed_payment_attempts,
        cast(refund_count as integer) as refund_count,
        cast(placed_at as timestamp) as placed_at,
        cast(order_date as date) as order_date,
        cast(first_paid_at as timestamp) as first_paid_at,
        cast(last_refunded_at as timestamp) as last_refunded_at,
        cast(source_loaded_at as timestamp) as source_loaded_at,
        cast({{ tally.processed_at() }} as timestamp) as processed_at
    from orders_with_money_movements

)

select * from final
