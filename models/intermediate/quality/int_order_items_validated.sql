{#- Every order line with the reason it cannot be trusted, if any. -#}
with

order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

orders as (

    select * from {{ ref('int_orders_validated') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

checked as (

    select
        order_items.*,
        case
            when order_items.order_item_id is null then 'null_key'
            when orders.order_id is null then 'unknown_order'
            when orders.quarantine_reason is not null then 'order_quarantined'
            when products.product_id is null then 'unknown_product'
            when order_items.quantity is null then 'invalid_quantity'
            when order_items.quantity <= 0 then 'non_positive_quantity'
            when order_items.unit_price_minor < 0 then 'negative_amount'
        end as quarantine_reason
    from order_items
    left join orders
        on order_items.order_id = orders.order_id
    left join products
        on order_items.product_id = products.product_id

)

select * from checked
