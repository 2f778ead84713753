with

source as (

    select * from {{ source('web', 'sessions') }}

),

deduplicated as (

    {{ tally.latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as session_id,
        anonymous_id as visitor_id,
        customer_id,

        ----------  strings
        lower(device) as device_type,
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        utm_campaign,
        case
            when lower(utm_medium) in ('cpc', 'paid_search') then 'paid_search'
            when lower(utm_medium) in ('paid_social', 'social_paid') then 'paid_social'
            when lower(utm_medium) in ('display', 'banner') then 'display'
            when lower(utm_medium) = 'affiliate' then 'affiliate'
            when lower(utm_medium) = 'email' then 'email'
            when lower(utm_medium) = 'referral' then 'referral'
            when utm_source is null and utm_medium is null then 'direct'
            else 'other'
        end as traffic_channel,
        upper(country) as country_code,
        landing_path,

        ----------  timestamps
        started_at,
        _loaded_at as loaded_at,

        ----------  lineage
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
