{#- Incremental (dbt_project.yml): a run rebuilds the refunds converted again since this model
    last ran (processed_at); the post-hook deletes the refunds quarantined now. -#}
{%- if is_incremental() %}
    {%- set processed_mark = tally.processed_mark() %}
{%- endif %}
{%- set incremental = is_incremental() and processed_mark is not none %}
with

refunds as (

    select * from {{ ref('int_refunds_converted_to_usd') }}
    {%- if incremental %}
    where {{ tally.processed_since(ref('int_refunds_converted_to_usd'), processed_mark) }}
    {%- endif %}

),

final as (

    select
        cast(refund_id as bigint) as refund_id,
        cast(payment_id as bigint) as payment_id,
        cast(order_id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,
        cast(is_test_account as boolean) as is_test_account,
        cast(is_order_cancelled as boolean) as is_order_cancelled,
        cast(refund_reason as {{ dbt.type_string() }}) as refund_reason,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(amount_local as decimal(18, 2)) as amount_local,
        cast(amount_usd as decimal(18, 2)) as amount_usd,
        cast(is_full_refund as boolean) as is_full_refund,
        cast(order_date as date) as order_date,
        cast(refunded_at as timestamp) as refunded_at,
        cast(refund_date as date) as refund_date,
        cast(
            {{ dbt.datediff('order_date', 'refund_date', 'day') }}
            as integer
        ) as days_after_order,
        cast(loaded_at as timestamp) as loaded_at,
        cast({{ tally.processed_at() }} as timestamp) as processed_at
    from refunds

)

select * from final
