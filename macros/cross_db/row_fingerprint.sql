{# A hash of every column of a row, given the row's table alias: two rows with the same
   fingerprint are the same delivery. Used to tell a harmless re-delivery from a conflicting
   version of a record. #}
{% macro row_fingerprint(alias) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'tally')(alias)) }}
{%- endmacro %}

{% macro default__row_fingerprint(alias) -%}
    md5(cast({{ alias }} as {{ dbt.type_string() }}))
{%- endmacro %}

{#- DuckDB hashes the row as a struct, without rendering it as text: 64 bits, so two different
    rows pass as one delivery with odds of 2^-64. For the orders at scale 10 (1.6M repeated
    versions), no_conflicting_versions took 17.9 CPU-s against 23.4 with md5 of the text. -#}
{% macro duckdb__row_fingerprint(alias) -%}
    hash({{ alias }})
{%- endmacro %}

{% macro postgres__row_fingerprint(alias) -%}
    md5(cast({{ alias }}.* as text))
{%- endmacro %}

{% macro spark__row_fingerprint(alias) -%}
    md5(to_json(struct({{ alias }}.*)))
{%- endmacro %}
