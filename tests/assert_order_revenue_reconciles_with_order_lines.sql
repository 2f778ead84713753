{#- An order's gross revenue is its lines plus shipping, converted once from the order total.
    Each line and the shipping fee are converted and rounded to the cent separately, so the sum
    of the parts may differ from the whole by at most half a cent per rounded amount. Also the
    order's line and unit counts must be those of its lines in fct_order_items. Returns every
    order where they disagree.
    An incremental build checks the orders written since the last complete, passing build, or
    with a line written since (processed_at; a line moved away rewrites the order it left). -#}
{%- set written = tally.written_since_tested() -%}
{%- set in_scope = '1 = 1' -%}
{%- if written is not none -%}
    {%- set in_scope = 'order_id in (select order_id from ' ~ ref('fct_orders') ~ ' where ' ~ written
        ~ ' union select order_id from ' ~ ref('fct_order_items') ~ ' where ' ~ written ~ ')' -%}
{%- endif %}
with

orders as (

    select * from {{ ref('fct_orders') }}
    where {{ in_scope }}

),

order_items as (

    select * from {{ ref('fct_order_items') }}
    where {{ in_scope }}

),

line_totals as (

    select
        order_items.order_id,
        count(*) as line_count,
        sum(order_items.quantity) as unit_count,
        sum(order_items.line_revenue_usd) as line_revenue_usd
    from order_items
    group by order_items.order_id

),

compared as (

    select
        orders.order_id,
        orders.item_count,
        coalesce(line_totals.line_count, 0) as line_count,
        orders.unit_count,
        coalesce(line_totals.unit_count, 0) as line_unit_count,
        orders.gross_revenue_usd,
        orders.shipping_fee_usd,
        coalesce(line_totals.line_revenue_usd, 0) as line_revenue_usd
    from orders
    left join line_totals
        on orders.order_id = line_totals.order_id

)

select *
from compared
where
    item_count <> line_count
    or unit_count <> line_unit_count
    or abs(gross_revenue_usd - shipping_fee_usd - line_revenue_usd) > 0.005 * (item_count + 2)
