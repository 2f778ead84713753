{#- Incremental runs rebuild every order of each customer with an order, line, payment or
    refund loaded since the high-water mark, because one order's change (a cancellation, a
    deletion, a late order) renumbers the customer's other orders. Orders that left the valid
    set are deleted by the model's post-hook (dbt_project.yml). -#}
-- depends_on: {{ ref('int_orders_validated') }}
with

orders as (

    select * from {{ ref('int_orders_converted_to_usd') }}

),

payments as (

    select * from {{ ref('int_payments_allocated_to_orders') }}

),

refunds as (

    select * from {{ ref('int_refunds_allocated_to_orders') }}

),

order_sequence as (

    select * from {{ ref('int_orders_sequenced_per_customer') }}

),
{%- if is_incremental() %}

order_versions as (

    -- The latest version of every order, valid or quarantined.
    select * from {{ ref('int_orders_validated') }}

),

high_water_mark as (

    select
        {{ dbt.dateadd('day', -var('tally_incremental_lookback_days'), 'max(source_loaded_at)') }} as reprocess_after
    from {{ this }}

),
{%- endif %}

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
{%- if is_incremental() %}

touched_customers as (

    select orders_with_money_movements.customer_id
    from orders_with_money_movements
    cross join high_water_mark
    where orders_with_money_movements.source_loaded_at > high_water_mark.reprocess_after

    union

    select order_versions.customer_id
    from order_versions
    cross join high_water_mark
    where order_versions.loaded_at > high_water_mark.reprocess_after

),
{%- endif %}

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
        cast(source_loaded_at as timestamp) as source_loaded_at
    from orders_with_money_movements
    {% if is_incremental() %}
    where customer_id in (select touched_customers.customer_id from touched_customers)
    {% endif %}

)

select * from final
