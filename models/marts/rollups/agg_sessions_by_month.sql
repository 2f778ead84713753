{#-
    The monthly web funnel and the parts of conversion_rate, computed once per build: at scale 10
    a board that paired every order with the customer's sessions of the week before took 5-7 s.
    conversion_rate itself is a ratio, so it is not stored: a board divides conversions by
    sessions over whatever months it shows.
    Incremental (dbt_project.yml): a run recomputes every month from the first one a change can
    reach, and leaves the months before as stored. An order is credited to a session of the 7 days
    up to its date, so a change on day d can move a conversion from as early as d - 7:
    - a session loaded since the high-water mark (new, or re-delivered with another date or
      customer): its date, less 7 days;
    - a session gone (quarantined since, say) or moved out of a month: a month with fewer
      sessions in fct_sessions than stored, less 7 days from its start (a month that lost one
      and gained a late one on the same run is the gap: its count still matches);
    - an order written to int_orders_validated since this model last ran (processed_at): new,
      re-delivered, judged again (its customer became a test account) or quarantined now: its
      date, less 7 days. Payments and refunds do not move conversions, so the orders fact's
      load times (late refunds reach months back) are not read.
    A build before this model had processed_at recomputes every month once.
-#}
{%- set sessions_in_range, orders_in_range = '1 = 1', '1 = 1' -%}
{%- if is_incremental() -%}
    {%- set loaded_mark = tally.incremental_mark('source_loaded_at') -%}
    {%- set processed_mark = tally.processed_mark() -%}
    {%- if loaded_mark is not none and processed_mark is not none -%}
        {%- set lost_sessions = '(' ~ tally.recounted_months(
            ref('fct_sessions'), 'session_date', '1 = 1', 'sessions', lost_only=true) ~ ') as lost' -%}
        {%- set floor = tally.changed_key_floor([
            (ref('fct_sessions'), dbt.dateadd('day', -7, 'session_date'), 'source_loaded_at'),
            (lost_sessions, dbt.dateadd('day', -7, 'month_start'), none),
            (ref('int_orders_validated'), dbt.dateadd('day', -7, 'cast(placed_at as date)'), none,
                tally.processed_since(ref('int_orders_validated'), processed_mark)),
        ], loaded_mark) -%}
        {%- set first_month = none if floor is none
            else 'cast(' ~ dbt.date_trunc('month', 'cast(' ~ floor ~ ' as date)') ~ ' as date)' -%}
        {%- set sessions_in_range = tally.key_at_or_above('session_date', first_month) -%}
        {%- set orders_in_range = tally.key_at_or_above('order_date', first_month) -%}
    {%- endif -%}
{%- endif %}
-- depends_on: {{ ref('int_orders_validated') }}
with

sessions as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date) as month_start
    from {{ ref('fct_sessions') }}
    where {{ sessions_in_range }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where {{ orders_in_range }}

),

sessions_by_month as (

    -- every session, logged in or anonymous, on its UTC start date; steps are cumulative
    select
        month_start,
        count(session_id) as sessions,
        sum(case when reached_add_to_cart then 1 else 0 end) as add_to_cart_sessions,
        sum(case when reached_checkout then 1 else 0 end) as checkout_sessions,
        sum(case when has_purchase then 1 else 0 end) as purchase_sessions,
        max(source_loaded_at) as sessions_loaded_at
    from sessions
    group by month_start

),

orders_with_converting_session as (

    -- MetricFlow's conversion join: each order (any status) is credited to the latest session of
    -- the same customer in the 7 days up to the order date (session date <= order date and
    -- > order date - 7 days); orders of test accounts are credited but count 0
    select
        orders.order_id,
        case when not orders.is_test_account then 1 else 0 end as business_orders,
        max(sessions.session_date) as session_date,
        max(sessions.month_start) as month_start,  -- the month of that latest session
        max(orders.source_loaded_at) as order_loaded_at
    from orders
    inner join sessions
        on
            orders.customer_id = sessions.customer_id
            and orders.order_date >= sessions.session_date
            and {{ dbt.dateadd('day', -7, 'orders.order_date') }} < sessions.session_date
    group by orders.order_id, orders.is_test_account

),

conversions_by_month as (

    -- credited orders, in the month of the session they are credited to
    select
        month_start,
        sum(business_orders) as conversions,
        max(order_loaded_at) as orders_loaded_at
    from orders_with_converting_session
    group by month_start

),

final as (

    select
        coalesce(sessions_by_month.month_start, conversions_by_month.month_start) as month_start,
        cast(coalesce(sessions_by_month.sessions, 0) as bigint) as sessions,
        cast(coalesce(sessions_by_month.add_to_cart_sessions, 0) as bigint) as add_to_cart_sessions,
        cast(coalesce(sessions_by_month.checkout_sessions, 0) as bigint) as checkout_sessions,
        cast(coalesce(sessions_by_month.purchase_sessions, 0) as bigint) as purchase_sessions,
        -- a month whose sessions converted no order has 0 (MetricFlow fills the count with 0)
        cast(coalesce(conversions_by_month.conversions, 0) as bigint) as conversions,
        cast(greatest(
            coalesce(sessions_by_month.sessions_loaded_at, conversions_by_month.orders_loaded_at),
            coalesce(conversions_by_month.orders_loaded_at, sessions_by_month.sessions_loaded_at)
        ) as timestamp) as source_loaded_at,
        cast({{ tally.processed_at() }} as timestamp) as processed_at
    from sessions_by_month
    full outer join conversions_by_month on sessions_by_month.month_start = conversions_by_month.month_start

)

select * from final
