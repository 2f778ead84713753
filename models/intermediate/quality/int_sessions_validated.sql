{#- Every web session with the reason it cannot be trusted, if any. -#}
with

sessions as (

    select * from {{ ref('stg_web__sessions') }}

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
