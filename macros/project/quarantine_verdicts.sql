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

{# Why a web event cannot be trusted, if it cannot: the reasons in the order
   int_web_events_validated gives them. With `sessions` (the alias of int_sessions_validated,
   left-joined on session_id) the session's own verdict counts; without it only the event's
   own checks are made, for a query that joins the events to valid sessions anyway (the funnel
   pivot), where the join is the session check. #}
{% macro web_event_quarantine_reason(events, sessions=none) -%}
    case
        when {{ events }}.event_id is null then 'null_key'
        {%- if sessions %}
        when {{ sessions }}.session_id is null then 'unknown_session'
        when {{ sessions }}.quarantine_reason is not null then 'session_quarantined'
        {%- endif %}
        when {{ events }}.occurred_at > {{ dbt.dateadd('day', 1, events ~ '.loaded_at') }} then 'future_timestamp'
        when {{ events }}.event_type not in ('page_view', 'add_to_cart', 'checkout', 'purchase') then 'unknown_event_type'
    end
{%- endmacro %}
