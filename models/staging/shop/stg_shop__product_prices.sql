with

source as (

    select * from {{ source('shop', 'product_prices') }}

),

deduplicated as (

    {{ tally.latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as product_price_id,
        product_id,

        ----------  strings
        upper(currency) as currency_code,

        ----------  numerics
        {{ tally.minor_to_decimal('list_price_minor', 'currency') }} as list_price,

        ----------  timestamps
        valid_from,
        valid_to,
        _loaded_at as loaded_at,

        ----------  lineage
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
