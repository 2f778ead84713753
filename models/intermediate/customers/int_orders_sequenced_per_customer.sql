{#- Each customer's orders numbered in the order they were placed. Cancelled orders do not make
    anyone a customer, so they are not numbered. -#}
with

orders as (

    select * from {{ ref('int_orders_converted_to_usd') }}

),

sequenced as (

    select
        orders.order_id,
        orders.customer_id,
        case
            when not orders.is_cancelled
                then row_number() over (
                    partition by orders.customer_id, orders.is_cancelled
                    order by orders.placed_at, orders.order_id
                )
        end as customer_order_number
    from orders

)

select * from sequenced
