{#- Incremental runs reprocess the sessions whose session or events were loaded since the
    high-water mark. They read only the keys at or above the smallest such session: a constant
    the engine pushes through the funnel pivot into the scans of sessions and events (see
    macros/project/incremental_window.sql). -#}
-- depends_on: {{ ref('int_sessions_validated') }}
-- depends_on: {{ ref('int_web_events_validated') }}
{#- Events are read from their source for the floor: the Parquet reader skips what was loaded
    before the mark (through the view, all 100M events were read, 3 s). A quarantined event only
    lowers the floor. -#}
{%- if is_incremental() %}
    {%- set mark = tally.incremental_mark('source_loaded_at') %}
    {%- set floor = tally.changed_key_floor([
        (ref('int_sessions_validated'), 'session_id', 'loaded_at', 'quarantine_reason is null'),
        tally.raw_changes_of('stg_web__events', 'session_id')
            or (ref('int_web_events_validated'), 'session_id', 'loaded_at', 'quarantine_reason is null'),
    ], mark) %}
{%- endif %}
with

sessions as (

    select * from {{ ref('int_sessions_pivoted_to_funnel_steps') }}
    {%- if is_incremental() and mark is not none %}
    where {{ tally.key_at_or_above('session_id', floor) }}
    {%- endif %}

),

final as (

    select
        cast(session_id as bigint) as session_id,
        cast(visitor_id as {{ dbt.type_string() }}) as visitor_id,
        cast(customer_id as bigint) as customer_id,
        cast(device_type as {{ dbt.type_string() }}) as device_type,
        cast(traffic_channel as {{ dbt.type_string() }}) as traffic_channel,
        cast(utm_source as {{ dbt.type_string() }}) as utm_source,
        cast(utm_medium as {{ dbt.type_string() }}) as utm_medium,
        cast(utm_campaign as {{ dbt.type_string() }}) as utm_campaign,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(landing_path as {{ dbt.type_string() }}) as landing_path,
        cast(event_count as integer) as event_count,
        cast(page_view_count as integer) as page_view_count,
        cast(reached_add_to_cart as boolean) as reached_add_to_cart,
        cast(reached_checkout as boolean) as reached_checkout,
        cast(has_purchase as boolean) as has_purchase,
        cast(purchase_order_id as bigint) as purchase_order_id,
        cast(started_at as timestamp) as started_at,
        cast(session_date as date) as session_date,
        cast(last_event_at as timestamp) as last_event_at,
        cast(
            greatest(session_loaded_at, coalesce(events_loaded_at, session_loaded_at)) as timestamp
        ) as source_loaded_at
    from sessions
    {% if is_incremental() and mark is not none %}
    where greatest(session_loaded_at, coalesce(events_loaded_at, session_loaded_at)) > {{ mark }}
    {% endif %}

)

select * from final
