{# What a payment's verdict depends on in its order, as one value: NULL for an unknown order,
   'quarantined' for a quarantined one, else the order's currency (a mismatch quarantines the
   payment). int_payments_validated stores it per payment, and an incremental run reprocesses
   the payments whose stored value no longer matches their order. #}
{% macro payment_order_verdict(orders) -%}
    case
        when {{ orders }}.order_id is null then null
        when {{ orders }}.quarantine_reason is not null then 'quarantined'
        else {{ orders }}.currency_code
    end
{%- endmacro %}

{# What an order line's verdict depends on outside the line, as one value: 'unknown_order',
   'order_quarantined', 'unknown_product', or NULL when its order and product are fine. The
   validation model quarantines with it, and an incremental run compares it with the reason
   each stored line was given to find the lines whose parent changed. #}
{% macro order_line_parent_verdict(orders, products) -%}
    case
        when {{ orders }}.order_id is null then 'unknown_order'
        when {{ orders }}.quarantine_reason is not null then 'order_quarantined'
        when {{ products }}.product_id is null then 'unknown_product'
    end
{%- endmacro %}
