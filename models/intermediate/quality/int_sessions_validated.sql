{#- Every web session with the reason it cannot be trusted, if any.
    Incremental (dbt_project.yml): a run reprocesses the sessions whose latest version was loaded
    since the high-water mark, reading staging above the smallest such key only (see
    macros/project/incremental_window.sql). -#}
{%- if is_incremental() %}
    {%- set mark = tally.incremental_mark('loaded_at', where='session_id is not null') %}
    {%- set floor = tally.changed_key_floor([(ref('stg_web__sessions'), 'session_id', 'loaded_at')], mark) %}
{%- endif %}
with

sessions as (

    select * from {{ ref('stg_web__sessions') }}
    {%- if is_incremental() and mark is not none %}
    where
        ({{ tally.key_at_or_above('session_id', floor) }} or session_id is null)
        and loaded_at > {{ mark }}
    {%- endif %}

),

checked as (

    select
        sessions.*,
        case
            when sessions.session_id is null then 'null_key'
            when sessions.started_at > {{ dbt.dateadd('day', 1, 'sessions.loaded_at') }} then 'future_timestamp'
        end as quarantine_reason
    from sessions

)

select * from checked
