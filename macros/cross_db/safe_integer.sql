{# An integer from a value that may arrive as text (schema drift), or NULL when it is not a
   whole number ('two', 'a few'). dbt's safe_cast is a plain cast on DuckDB and PostgreSQL and
   would fail the whole model on the first bad value. #}
{% macro safe_integer(expression) -%}
    {{ return(adapter.dispatch('safe_integer', 'tally')(expression)) }}
{%- endmacro %}

{% macro default__safe_integer(expression) -%}
    case
        when {{ tally.matches_pattern("trim(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "))", "-?[0-9]{1,9}") }}
            then cast(trim(cast({{ expression }} as {{ dbt.type_string() }})) as {{ dbt.type_int() }})
    end
{%- endmacro %}

{% macro duckdb__safe_integer(expression) -%}
    try_cast({{ expression }} as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__safe_integer(expression) -%}
    try_cast({{ expression }} as {{ dbt.type_int() }})
{%- endmacro %}
