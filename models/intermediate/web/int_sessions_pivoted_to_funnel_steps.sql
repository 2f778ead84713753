-- tally: ignore[MD008] because fct_sessions reads int_sessions_validated for its key floor only
{# Sessions with their events pivoted into the purchase funnel. Steps are cumulative: a session
    that purchased also reached checkout and the cart, even when the tracker missed a step. -#}
with

sessions as (

    select * from {{ ref('int_sessions_validated') }}
    where quarantine_reason is null

),

events as (

    -- An event counts when its own checks pass and its session is valid. The join to the valid
    -- sessions below is the session check, so the events come from staging with their own
    -- checks only (through int_web_events_validated, this joined 100M events to the 30M
    -- sessions once more: fct_sessions 34 -> 17 s at scale 10).
    select staged_events.*
    from {{ ref('stg_web__events') }} as staged_events
    where {{ tally.web_event_quarantine_reason('staged_events') }} is null

),

steps_per_session as (

    select
        events.session_id,
        count(*) as event_count,
        sum(case when events.event_type = 'page_view' then 1 else 0 end) as page_view_count,
        max(case when events.event_type = 'add_to_cart' then 1 else 0 end) as has_add_to_cart_event,
        max(case when events.event_type = 'checkout' then 1 else 0 end) as has_checkout_event,
        max(case when events.event_type = 'purchase' then 1 else 0 end) as has_purchase_event,
        max(case when events.event_type = 'purchase' then events.order_id end) as purchase_order_id,
        max(events.occurred_at) as last_event_at,
        max(events.loaded_at) as events_loaded_at
    from events
    group by events.session_id

),

pivoted as (

    select
        sessions.session_id,
        sessions.visitor_id,
        sessions.customer_id,
        sessions.device_type,
        sessions.traffic_channel,
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        sessions.country_code,
        sessions.landing_path,
        sessions.started_at,
        cast(sessions.started_at as date) as session_date,
        steps_per_session.last_event_at,
        coalesce(steps_per_session.event_count, 0) as event_count,
        coalesce(steps_per_session.page_view_count, 0) as page_view_count,
        coalesce(steps_per_session.has_purchase_event, 0) = 1 as has_purchase,
        coalesce(
            steps_per_session.has_checkout_event + steps_per_session.has_purchase_event, 0
        ) > 0 as reached_checkout,
        coalesce(
            steps_per_session.has_add_to_cart_event
            + steps_per_session.has_checkout_event
            + steps_per_session.has_purchase_event,
            0
        ) > 0 as reached_add_to_cart,
        steps_per_session.purchase_order_id,
        sessions.loaded_at as session_loaded_at,
        steps_per_session.events_loaded_at
    from sessions
    left join steps_per_session
        on sessions.session_id = steps_per_session.session_id

)

select * from pivoted
