with

source as (

    -- The collector writes each event once; events are not deduplicated (the largest table,
    -- and a window over it would dominate the build).
    select * from {{ source('web', 'events') }}

),

renamed as (

    select

        ----------  ids
        id as event_id,
        session_id,
        product_id,
        order_id,

        ----------  strings
        lower(event_type) as event_type,
        page_path,

        ----------  timestamps
        occurred_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
