{# Let roles look up relations in a schema (PostgreSQL's USAGE on a schema). dbt's `grants`
   config grants SELECT on each relation it builds, but on PostgreSQL a role also needs USAGE on
   the relation's schema to reach it; this is the schema half of the same grant, run by an
   on-run-end hook for the marts schema only. Engines without schema privileges (DuckDB, the
   local Spark session) render nothing. #}
{% macro grant_schema_usage(schema, roles) -%}
    {{ return(adapter.dispatch('grant_schema_usage', 'tally')(schema, roles)) }}
{%- endmacro %}

{% macro default__grant_schema_usage(schema, roles) -%}
{%- endmacro %}

{% macro postgres__grant_schema_usage(schema, roles) -%}
    {#- A run that built nothing in the schema (dbt build --select staging) has nothing to grant. -#}
    {%- if execute and adapter.check_schema_exists(target.database, schema) -%}
        {%- for role in roles %}
        grant usage on schema {{ adapter.quote(schema) }} to {{ adapter.quote(role) }};
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
