{# Refresh the query planner's statistics of a table just built, on engines that plan joins
   from them. PostgreSQL analyses a table made by CREATE TABLE AS only when autovacuum gets to
   it; until then it guesses row counts, and a guess of one row for a filtered model turns a hash
   join into a nested loop that recomputes the other side for every row. DuckDB and Spark need
   nothing: the macro renders nothing there, and dbt skips an empty hook. #}
{% macro analyze_relation(relation) -%}
    {{ return(adapter.dispatch('analyze_relation', 'tally')(relation)) }}
{%- endmacro %}

{% macro default__analyze_relation(relation) -%}
{%- endmacro %}

{% macro postgres__analyze_relation(relation) -%}
    {%- if model.config.materialized in ('table', 'incremental') -%}
        analyze {{ relation }}
    {%- endif -%}
{%- endmacro %}
