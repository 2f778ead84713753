-- tally: ignore[MD008] because fct_ad_spend reads int_ad_spend_validated for its key floor and its pre-hook only
{# Ad spend in USD at the rate of the spend date. -#}
with

ad_spend as (

    select * from {{ ref('int_ad_spend_validated') }}
    where quarantine_reason is null

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled_to_days') }}

),

converted as (

    select
        ad_spend.ad_spend_id,
        ad_spend.spend_date,
        ad_spend.marketing_channel,
        ad_spend.campaign_id,
        ad_spend.campaign_name,
        ad_spend.country_code,
        ad_spend.currency_code,
        ad_spend.spend_local,
        {{ tally.convert_currency('ad_spend.spend_local', 'fx_rates.usd_per_unit') }} as spend_usd,
        ad_spend.impressions,
        ad_spend.clicks,
        ad_spend.loaded_at
    from ad_spend
    inner join fx_rates
        on
            ad_spend.spend_date = fx_rates.rate_date
            and ad_spend.currency_code = fx_rates.currency_code

)

select * from converted
