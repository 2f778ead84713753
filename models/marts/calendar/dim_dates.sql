with

calendar_days as (

    select * from {{ ref('int_calendar_days_spined') }}

),

final as (

    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        cast({{ dbt.last_day('date_day', 'month') }} as date) = date_day as is_month_end
    from calendar_days

)

select * from final
