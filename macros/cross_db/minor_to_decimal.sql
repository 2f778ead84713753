{# Turn an integer amount in a currency's minor units (cents, pence; yen have none) into a
   decimal amount of the currency, using the ISO 4217 exponents in var('tally_currency_minor_units').
   Currencies missing from the map are assumed to have two decimals; the validation models
   quarantine unknown currencies before they reach a mart. #}
{% macro minor_to_decimal(amount, currency, scale=2) -%}
    {{ return(adapter.dispatch('minor_to_decimal', 'tally')(amount, currency, scale)) }}
{%- endmacro %}

{% macro default__minor_to_decimal(amount, currency, scale=2) -%}
    {%- set exponents = var('tally_currency_minor_units') -%}
    cast(
        {{ amount }} / case upper({{ currency }})
        {%- for code, exponent in exponents | dictsort %}
            when '{{ code }}' then {{ 10 ** exponent }}.0
        {%- endfor %}
            else 100.0
        end
        as {{ tally.type_money(scale) }}
    )
{%- endmacro %}
