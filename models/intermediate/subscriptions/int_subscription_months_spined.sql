{#- One row per subscription and calendar month, from the month it started to the month it was
    cancelled (or the latest month in the data), with its state at the end of the month. MRR is
    the monthly price of a subscription active at month end, in USD at the rate of the month's
    first day. -#}
with

subscriptions as (

    select * from {{ ref('int_subscriptions_validated') }}
    where quarantine_reason is null

),

calendar_days as (

    select * from {{ ref('int_calendar_days_spined') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled_to_days') }}

),

months as (

    select
        calendar_days.date_day as month_start,
        cast({{ dbt.dateadd('month', 1, 'calendar_days.date_day') }} as date) as next_month_start
    from calendar_days
    where cast({{ dbt.date_trunc('month', 'calendar_days.date_day') }} as date) = calendar_days.date_day

),

data_horizon as (

    -- The spine stops at the latest month the billing export has seen.
    select cast({{ dbt.date_trunc('month', 'max(subscriptions.loaded_at)') }} as date) as last_month_start
    from subscriptions

),

spined as (

    select
        subscriptions.*,
        months.month_start as subscription_month,
        months.next_month_start
    from subscriptions
    cross join data_horizon
    inner join months
        on
            months.month_start >= cast({{ dbt.date_trunc('month', 'subscriptions.started_at') }} as date)
            and months.month_start <= coalesce(
                cast({{ dbt.date_trunc('month', 'subscriptions.cancelled_at') }} as date),
                data_horizon.last_month_start
            )

),

with_states as (

    select
        spined.*,
        (
            spined.paused_at < spined.next_month_start
            and (spined.resumed_at is null or spined.resumed_at >= spined.next_month_start)
        ) as is_paused_at_month_end,
        (
            spined.started_at < spined.subscription_month
            and (spined.cancelled_at is null or spined.cancelled_at >= spined.subscription_month)
            and not coalesce(
                spined.paused_at < spined.subscription_month
                and (spined.resumed_at is null or spined.resumed_at >= spined.subscription_month),
                false
            )
        ) as was_active_at_month_start,
        spined.started_at >= spined.subscription_month as is_new_in_month,
        coalesce(
            spined.cancelled_at >= spined.subscription_month
            and spined.cancelled_at < spined.next_month_start,
            false
        ) as is_churned_in_month,
        (spined.cancelled_at is null or spined.cancelled_at >= spined.next_month_start) as is_live_at_month_end
    from spined

),

final as (

    select
        with_states.subscription_id,
        with_states.customer_id,
        with_states.is_test_account,
        with_states.plan_name,
        with_states.currency_code,
        with_states.subscription_month,
        with_states.monthly_price_local,
        fx_rates.usd_per_unit as fx_usd_per_unit,
        with_states.is_live_at_month_end and not coalesce(with_states.is_paused_at_month_end, false) as is_active,
        coalesce(with_states.is_paused_at_month_end, false) as is_paused,
        with_states.is_new_in_month,
        with_states.is_churned_in_month,
        with_states.was_active_at_month_start,
        with_states.loaded_at
    from with_states
    inner join fx_rates
        on
            with_states.subscription_month = fx_rates.rate_date
            and with_states.currency_code = fx_rates.currency_code

)

select * from final
