{# dbt wraps the relation a generic test reads in get_where_subquery; this project's version adds
   the changed-keys scope a test declares (see changed_keys.sql) to dbt's `where` config. #}
{% macro get_where_subquery(relation) -%}
    {{ return(tally.where_subquery_with_changed_keys(relation)) }}
{%- endmacro %}
