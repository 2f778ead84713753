with

source as (

    select * from {{ source('shop', 'customers') }}

),

deduplicated as (

    {{ tally.latest_version('source', 'id', '_loaded_at desc, updated_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as customer_id,

        ----------  strings
        lower(trim(email)) as email,
        full_name,
        phone,
        address_line1,
        city,
        postal_code,
        upper(country) as country_code,
        lower(account_type) as account_type,
        lower(acquisition_channel) as acquisition_channel,
        time_zone as customer_time_zone,

        ----------  booleans
        (
            coalesce(lower(account_type) in ('test', 'internal'), false)
            {%- for domain in var('tally_internal_email_domains') %}
            or coalesce(lower(trim(email)) like '%@{{ domain }}', false)
            {%- endfor %}
        ) as is_test_account,
        marketing_opt_in as has_marketing_opt_in,

        ----------  timestamps
        {{ tally.to_utc('created_at', 'time_zone') }} as created_at,
        {{ tally.to_utc('updated_at', 'time_zone') }} as updated_at,
        _loaded_at as loaded_at,

        ----------  lineage
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
