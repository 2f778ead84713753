{# A hash of every column of a row, given the row's table alias: two rows with the same
   fingerprint are the same delivery. Used to tell a harmless re-delivery from a conflicting
   version of a record. #}
{% macro row_fingerprint(alias) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'tally')(alias)) }}
{%- endmacro %}

{% macro default__row_fingerprint(alias) -%}
    md5(cast({{ alias }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro postgres__row_fingerprint(alias) -%}
    md5(cast({{ alias }}.* as text))
{%- endmacro %}

{% macro spark__row_fingerprint(alias) -%}
    md5(to_json(struct({{ alias }}.*)))
{%- endmacro %}
