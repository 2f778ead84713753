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
