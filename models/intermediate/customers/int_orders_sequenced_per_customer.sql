{#- Each customer's orders numbered in the order they were placed. Cancelled orders do not make
    anyone a customer, so they are not numbered.
    Incremental (dbt_project.yml): a run numbers again the customers with an order that is new,
    left the valid set, or changed customer, cancellation or placing time since this model last
    ran, and writes only the orders whose row changed. A new last order is then one row, and
    fct_orders rebuilds from the smallest order whose number moved (processed_at), not from
    each touched customer's first order. The orders that left the valid set are deleted by the
    post-hook. -#}
{%- if is_incremental() %}
    {%- set mark = tally.processed_mark() %}
    {%- set floor = tally.changed_key_floor([
        (ref('int_orders_converted_to_usd'), 'order_id', none,
            tally.processed_since(ref('int_orders_converted_to_usd'), mark)),
        (ref('int_orders_validated'), 'order_id', none,
            'quarantine_reason is not null and ' ~ tally.processed_since(ref('int_orders_validated'), mark)),
    ], mark) %}
{%- endif %}
{%- set incremental = is_incremental() and mark is not none %}
{#- What the numbering reads of an order; a change in any renumbers its customer. #}
{%- set numbering_reads = ['customer_id', 'is_cancelled', 'placed_at'] %}
-- depends_on: {{ ref('int_orders_validated') }}
with

orders as (

    select * from {{ ref('int_orders_converted_to_usd') }}

),
{%- if incremental %}

orders_in_range as (

    select * from orders
    where {{ tally.key_at_or_above('order_id', floor) }}

),

stored_in_range as (

    select * from {{ this }}
    where {{ tally.key_at_or_above('order_id', floor) }}

),

changed_customers as (

    -- An order that is new, or changed what the numbering reads.
    select orders_in_range.customer_id
    from orders_in_range
    left join stored_in_range
        on orders_in_range.order_id = stored_in_range.order_id
    where
        stored_in_range.order_id is null
        or {{ tally.rows_differ('stored_in_range', 'orders_in_range', numbering_reads) }}

    union

    -- The customer an order left: it moved to another, or left the valid set.
    select stored_in_range.customer_id
    from stored_in_range
    left join orders_in_range
        on stored_in_range.order_id = orders_in_range.order_id
    where orders_in_range.order_id is null or orders_in_range.customer_id is distinct from stored_in_range.customer_id

),
{%- endif %}

sequenced as (

    select
        orders.order_id,
        orders.customer_id,
        orders.is_cancelled,
        orders.placed_at,
        case
            when not orders.is_cancelled
                then row_number() over (
                    partition by orders.customer_id, orders.is_cancelled
                    order by orders.placed_at, orders.order_id
                )
        end as customer_order_number
    from orders
    {%- if incremental %}
    where orders.customer_id in (select changed_customers.customer_id from changed_customers)
    {%- endif %}

),
{%- if incremental %}

stored as (

    select * from {{ this }}
    where customer_id in (select changed_customers.customer_id from changed_customers)

),
{%- endif %}

final as (

    select
        sequenced.order_id,
        sequenced.customer_id,
        sequenced.is_cancelled,
        sequenced.placed_at,
        sequenced.customer_order_number,
        {{ tally.processed_at() }} as processed_at
    from sequenced
    {%- if incremental %}
    left join stored
        on sequenced.order_id = stored.order_id
    where
        stored.order_id is null
        or {{ tally.rows_differ('stored', 'sequenced', numbering_reads + ['customer_order_number']) }}
    {%- endif %}

)

select * from final
