with

subscriptions as (

    select * from {{ ref('int_subscriptions_validated') }}
    where quarantine_reason is null

),

final as (

    select
        cast(subscription_id as bigint) as subscription_id,
        cast(customer_id as bigint) as customer_id,
        cast(is_test_account as boolean) as is_test_account,
        cast(plan_name as {{ dbt.type_string() }}) as plan_name,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(monthly_price_local as decimal(18, 2)) as monthly_price_local,
        cast(started_at as timestamp) as started_at,
        cast(paused_at as timestamp) as paused_at,
        cast(resumed_at as timestamp) as resumed_at,
        cast(cancelled_at as timestamp) as cancelled_at,
        cast(cancelled_at is not null as boolean) as is_cancelled
    from subscriptions

)

select * from final
