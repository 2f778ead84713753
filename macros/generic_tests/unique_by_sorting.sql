{# dbt's built-in `unique` test, on DuckDB by sorting instead of grouping (repeated_values): the
   same failing rows (unique_field, n_records), for half the CPU or less on a key. dbt finds
   duckdb__test_unique before its own default__test_unique in the root project only. A project
   that installs tally keeps dbt's own unless it lists tally in its `dispatch` search order for
   the dbt namespace, which brings tally's other overrides of dbt macros with it; the var keeps
   this one a separate choice there. This project sets it (dbt_project.yml). #}
{% macro duckdb__test_unique(model, column_name) -%}
    {%- if var('tally_unique_by_sorting', false) -%}
        {{ tally.repeated_values(model, [[column_name, 'unique_field']], 'n_records', column_name ~ ' is not null') }}
    {%- else -%}
        {{ dbt.default__test_unique(model, column_name) }}
    {%- endif -%}
{%- endmacro %}
