with

subscription_months as (

    select * from {{ ref('int_subscription_months_spined') }}

),

final as (

    select
        cast(
            {{ dbt.concat([
                "cast(subscription_id as " ~ dbt.type_string() ~ ")",
                "'-'",
                "cast(subscription_month as " ~ dbt.type_string() ~ ")",
            ]) }}
            as {{ dbt.type_string() }}
        ) as subscription_month_id,
        cast(subscription_id as bigint) as subscription_id,
        cast(customer_id as bigint) as customer_id,
        cast(is_test_account as boolean) as is_test_account,
        cast(plan_name as {{ dbt.type_string() }}) as plan_name,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(subscription_month as date) as subscription_month,
        cast(is_active as boolean) as is_active,
        cast(is_paused as boolean) as is_paused,
        cast(is_new_in_month as boolean) as is_new_in_month,
        cast(is_churned_in_month as boolean) as is_churned_in_month,
        cast(was_active_at_month_start as boolean) as was_active_at_month_start,
        cast(monthly_price_local as decimal(18, 2)) as monthly_price_local,
        cast(
            case when is_active then {{ tally.convert_currency('monthly_price_local', 'fx_usd_per_unit') }} else 0 end
            as decimal(18, 2)
        ) as mrr_usd
    from subscription_months

)

select * from final
