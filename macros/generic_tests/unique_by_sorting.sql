{# dbt's built-in `unique` test, on DuckDB by sorting instead of grouping (repeated_values): the
   same failing rows (unique_field, n_records), for half the CPU or less on a key. dbt finds
   duckdb__test_unique before its own default__test_unique in the root project; a project that
   installs tally keeps dbt's own unless it lists tally in its `dispatch` search order for the
   dbt namespace. #}
{% macro duckdb__test_unique(model, column_name) -%}
    {{ tally.repeated_values(model, [[column_name, 'unique_field']], 'n_records', column_name ~ ' is not null') }}
{%- endmacro %}
