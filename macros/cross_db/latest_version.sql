{# Keep the latest delivered version of every record of a relation (CDC versions, re-deliveries).
   Adds `_versions_delivered`, how many raw rows the kept row stands for, so row accounting can
   prove that nothing but older versions was collapsed, and `_first_loaded_at`, when the record
   first reached the lake (late-arriving records are judged by it). Rows with a NULL key cannot
   be told apart and are all kept, for the validation models to quarantine. #}
{% macro latest_version(relation, key, order_by, loaded_at='_loaded_at') -%}
    {{ return(adapter.dispatch('latest_version', 'tally')(relation, key, order_by, loaded_at)) }}
{%- endmacro %}

{% macro default__latest_version(relation, key, order_by, loaded_at='_loaded_at') -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ order_by }}) as _version_rank,
            case
                when {{ key }} is null then 1
                else count(*) over (partition by {{ key }})
            end as _versions_delivered,
            min({{ loaded_at }}) over (partition by {{ key }}) as _first_loaded_at
        from {{ relation }}
    ) as versions
    where _version_rank = 1 or {{ key }} is null
{%- endmacro %}
