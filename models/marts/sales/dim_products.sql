with

products as (

    select * from {{ ref('stg_shop__products') }}

),

prices as (

    select * from {{ ref('stg_shop__product_prices') }}

),

current_prices as (

    select
        prices.product_id,
        prices.list_price
    from prices
    where prices.valid_to is null

),

final as (

    select
        cast(products.product_id as bigint) as product_id,
        cast(products.sku as {{ dbt.type_string() }}) as sku,
        cast(products.product_name as {{ dbt.type_string() }}) as product_name,
        cast(products.product_category as {{ dbt.type_string() }}) as product_category,
        cast(products.is_active as boolean) as is_active,
        cast(current_prices.list_price as decimal(18, 2)) as current_list_price_usd,
        cast(products.created_at as timestamp) as created_at
    from products
    left join current_prices
        on products.product_id = current_prices.product_id

)

select * from final
