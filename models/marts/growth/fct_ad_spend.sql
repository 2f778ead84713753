with

ad_spend as (

    select * from {{ ref('int_ad_spend_converted_to_usd') }}

),

final as (

    select
        cast(ad_spend_id as bigint) as ad_spend_id,
        cast(spend_date as date) as spend_date,
        cast(marketing_channel as {{ dbt.type_string() }}) as marketing_channel,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(spend_local as decimal(18, 2)) as spend_local,
        cast(spend_usd as decimal(18, 2)) as spend_usd,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks
    from ad_spend

)

select * from final
