{#- Every web session with the reason it cannot be trusted, if any.
    Incremental (dbt_project.yml): a run reprocesses the sessions whose latest version was loaded
    since the high-water mark, reading staging above the smallest such key only (see
    macros/project/incremental_window.sql). -#}
with

sessions as (

    select * from {{ ref('stg_web__sessions') }}
    {%- if is_incremental() %}
    where {{ tally.changed_since_mark(ref('stg_web__sessions'), 'session_id') }}
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
