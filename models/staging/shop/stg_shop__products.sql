with

source as (

    select * from {{ source('shop', 'products') }}

),

deduplicated as (

    {{ tally.latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as product_id,

        ----------  strings
        sku,
        name as product_name,
        category as product_category,

        ----------  booleans
        is_active,

        ----------  timestamps
        created_at,
        _loaded_at as loaded_at,

        ----------  lineage
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
