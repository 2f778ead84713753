with

source as (

    select * from {{ source('marketing', 'ad_spend') }}

),

deduplicated as (

    {{ tally.latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as ad_spend_id,
        campaign_id,

        ----------  strings
        lower(channel) as marketing_channel,
        campaign_name,
        upper(country) as country_code,
        upper(currency) as currency_code,

        ----------  numerics
        -- Ad platforms report micros of the local currency, whatever its minor units.
        cast(spend_micros / 1000000.0 as {{ tally.type_money(2) }}) as spend_local,
        impressions,
        clicks,

        ----------  timestamps
        cast(date as date) as spend_date,
        _loaded_at as loaded_at,

        ----------  lineage
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
