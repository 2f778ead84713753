{#- Central banks publish rates on business days only. Every calendar day gets the latest
    rate published on or before it, so weekend orders convert at Friday's rate. -#}
with

fx_rates as (

    select * from {{ ref('stg_reference__fx_rates') }}

),

calendar_days as (

    select * from {{ ref('int_calendar_days_spined') }}

),

rates_with_validity as (

    select
        fx_rates.currency_code,
        fx_rates.rate_date,
        fx_rates.usd_per_unit,
        lead(fx_rates.rate_date) over (
            partition by fx_rates.currency_code order by fx_rates.rate_date
        ) as next_rate_date
    from fx_rates

),

filled as (

    select
        calendar_days.date_day as rate_date,
        rates_with_validity.currency_code,
        rates_with_validity.usd_per_unit,
        rates_with_validity.rate_date as published_rate_date
    from calendar_days
    inner join rates_with_validity
        on
            calendar_days.date_day >= rates_with_validity.rate_date
            and (
                calendar_days.date_day < rates_with_validity.next_rate_date
                or rates_with_validity.next_rate_date is null
            )

)

select * from filled
