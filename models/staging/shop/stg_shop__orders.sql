with

source as (

    select * from {{ source('shop', 'orders') }}

),

deduplicated as (

    -- CDC writes one row per change; the highest log position is the order's current state.
    {{ tally.latest_version('source', 'id', '_cdc_lsn desc, _loaded_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as order_id,
        customer_id,

        ----------  strings
        lower(status) as order_status,
        upper(currency) as currency_code,
        upper(shipping_country) as shipping_country_code,
        time_zone as order_time_zone,

        ----------  numerics
        {{ tally.minor_to_decimal('shipping_fee_minor', 'currency') }} as shipping_fee_local,

        ----------  booleans
        lower(status) = 'cancelled' as is_cancelled,
        lower(status) = 'returned' as is_returned,
        (deleted_at is not null or _cdc_op = 'd') as is_deleted_in_source,

        ----------  timestamps (local wall-clock time converted to UTC)
        {{ tally.to_utc('placed_at', 'time_zone') }} as placed_at,
        {{ tally.to_utc('updated_at', 'time_zone') }} as updated_at,
        {{ tally.to_utc('deleted_at', 'time_zone') }} as deleted_at,
        _loaded_at as loaded_at,
        _first_loaded_at as first_loaded_at,

        ----------  lineage
        _cdc_lsn as cdc_lsn,
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
