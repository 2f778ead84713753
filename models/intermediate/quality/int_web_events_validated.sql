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
        {{ tally.web_event_quarantine_reason('events', 'sessions') }} as quarantine_reason
    from events
    left join sessions
        on events.session_id = sessions.session_id

)

select * from checked
