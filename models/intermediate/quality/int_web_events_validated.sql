{#- Every web event with the reason it cannot be trusted, if any. -#}
with

events as (

    select * from {{ ref('stg_web__events') }}

),

sessions as (

    select * from {{ ref('int_sessions_validated') }}

),

checked as (

    select
        events.*,
        case
            when events.event_id is null then 'null_key'
            when sessions.session_id is null then 'unknown_session'
            when sessions.quarantine_reason is not null then 'session_quarantined'
            when events.occurred_at > {{ dbt.dateadd('day', 1, 'events.loaded_at') }} then 'future_timestamp'
            when events.event_type not in ('page_view', 'add_to_cart', 'checkout', 'purchase') then 'unknown_event_type'
        end as quarantine_reason
    from events
    left join sessions
        on events.session_id = sessions.session_id

)

select * from checked
