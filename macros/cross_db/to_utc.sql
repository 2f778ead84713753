{# Convert a local wall-clock timestamp, recorded in the IANA zone named by another column,
   to a UTC timestamp without time zone. #}
{% macro to_utc(local_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('to_utc', 'tally')(local_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__to_utc(local_timestamp, time_zone) -%}
    cast(({{ local_timestamp }} at time zone {{ time_zone }}) at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__to_utc(local_timestamp, time_zone) -%}
    {#- timezone(zone, timestamp) reads the wall-clock time in that zone (ICU); the outer call renders it in UTC. -#}
    timezone('UTC', timezone({{ time_zone }}, {{ local_timestamp }}))
{%- endmacro %}

{% macro spark__to_utc(local_timestamp, time_zone) -%}
    to_utc_timestamp({{ local_timestamp }}, {{ time_zone }})
{%- endmacro %}
