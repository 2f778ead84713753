with

prices as (

    select * from {{ ref('stg_shop__product_prices') }}

),

final as (

    select
        cast(prices.product_price_id as bigint) as product_price_id,
        cast(prices.product_id as bigint) as product_id,
        cast(prices.currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(prices.list_price as decimal(18, 2)) as list_price,
        cast(prices.valid_from as timestamp) as valid_from,
        cast(prices.valid_to as timestamp) as valid_to,
        cast(prices.valid_to is null as boolean) as is_current
    from prices

)

select * from final
