{# The decimal type every money column uses: 18 digits, `scale` of them after the point. #}
{% macro type_money(scale=2) -%}
    {{ return(adapter.dispatch('type_money', 'tally')(scale)) }}
{%- endmacro %}

{% macro default__type_money(scale=2) -%}
    decimal(18, {{ scale }})
{%- endmacro %}
