{#- Every ad-spend row with the reason it cannot be trusted, if any. -#}
with

ad_spend as (

    select * from {{ ref('stg_marketing__ad_spend') }}

),

currencies as (

    select * from {{ ref('stg_reference__currencies') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled_to_days') }}

),

checked as (

    select
        ad_spend.*,
        case
            when ad_spend.ad_spend_id is null then 'null_key'
            when currencies.currency_code is null then 'unknown_currency'
            when ad_spend.spend_local < 0 then 'negative_amount'
            when fx_rates.usd_per_unit is null then 'missing_fx_rate'
        end as quarantine_reason
    from ad_spend
    left join currencies
        on ad_spend.currency_code = currencies.currency_code
    left join fx_rates
        on
            ad_spend.spend_date = fx_rates.rate_date
            and ad_spend.currency_code = fx_rates.currency_code

)

select * from checked
