with

source as (

    select * from {{ source('billing', 'subscriptions') }}

),

deduplicated as (

    {{ tally.latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as subscription_id,
        customer_id,

        ----------  strings
        lower(plan) as plan_name,
        upper(currency) as currency_code,

        ----------  numerics
        {{ tally.minor_to_decimal('price_minor', 'currency') }} as monthly_price_local,

        ----------  timestamps
        started_at,
        paused_at,
        resumed_at,
        cancelled_at,
        _loaded_at as loaded_at,

        ----------  lineage
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
