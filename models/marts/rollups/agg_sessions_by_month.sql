{#-
    The monthly web funnel and the parts of conversion_rate, computed once per build: at scale 10
    a board that paired every order with the customer's sessions of the week before took 5-7 s.
    conversion_rate itself is a ratio, so it is not stored: a board divides conversions by
    sessions over whatever months it shows.
-#}
with

sessions as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'session_date') }} as date) as month_start
    from {{ ref('fct_sessions') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

sessions_by_month as (

    -- every session, logged in or anonymous, on its UTC start date; steps are cumulative
    select
        month_start,
        count(session_id) as sessions,
        sum(case when reached_add_to_cart then 1 else 0 end) as add_to_cart_sessions,
        sum(case when reached_checkout then 1 else 0 end) as checkout_sessions,
        sum(case when has_purchase then 1 else 0 end) as purchase_sessions
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
        max(sessions.month_start) as month_start  -- the month of that latest session
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
        sum(business_orders) as conversions
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
        cast(coalesce(conversions_by_month.conversions, 0) as bigint) as conversions
    from sessions_by_month
    full outer join conversions_by_month on sessions_by_month.month_start = conversions_by_month.month_start

)

select * from final
