with

source as (

    select * from {{ source('shop', 'order_items') }}

),

deduplicated as (

    {{ tally.latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as order_item_id,
        order_id,
        product_id,

        ----------  numerics
        -- Prices stay in minor units here: the line's currency is on the order header, and
        -- staging does not join. int_order_items_converted_to_usd turns them into decimals.
        {{ tally.safe_integer('quantity') }} as quantity,
        unit_price_minor,
        coalesce(discount_minor, 0) as discount_minor,

        ----------  timestamps
        _loaded_at as loaded_at,

        ----------  lineage
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
