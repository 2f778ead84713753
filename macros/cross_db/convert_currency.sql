{# Convert a decimal amount with a rate (reporting-currency units per unit of the amount's
   currency), rounded half away from zero to the cent on every engine. #}
{% macro convert_currency(amount, rate, scale=2) -%}
    {{ return(adapter.dispatch('convert_currency', 'tally')(amount, rate, scale)) }}
{%- endmacro %}

{% macro default__convert_currency(amount, rate, scale=2) -%}
    cast(round(cast({{ amount }} as {{ tally.type_money(scale) }}) * {{ rate }}, {{ scale }}) as {{ tally.type_money(scale) }})
{%- endmacro %}
