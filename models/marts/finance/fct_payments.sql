with

payments as (

    select * from {{ ref('int_payments_converted_to_usd') }}

),

final as (

    select
        cast(payment_id as bigint) as payment_id,
        cast(order_id as bigint) as order_id,
        cast(customer_id as bigint) as customer_id,
        cast(is_test_account as boolean) as is_test_account,
        cast(payment_method as {{ dbt.type_string() }}) as payment_method,
        cast(payment_status as {{ dbt.type_string() }}) as payment_status,
        cast(is_successful as boolean) as is_successful,
        cast(failure_code as {{ dbt.type_string() }}) as failure_code,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(amount_local as decimal(18, 2)) as amount_local,
        cast(amount_usd as decimal(18, 2)) as amount_usd,
        cast(attempted_at as timestamp) as attempted_at,
        cast(payment_date as date) as payment_date,
        cast(loaded_at as timestamp) as loaded_at
    from payments

)

select * from final
