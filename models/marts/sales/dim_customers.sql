with

customers as (

    select * from {{ ref('int_customers_validated') }}
    where quarantine_reason is null

),

countries as (

    select * from {{ ref('stg_reference__countries') }}

),

orders as (

    -- The orders fact's rows and columns as converted, before payments, refunds and numbering
    -- are added: read here, the customers build beside the order chain instead of after it.
    select * from {{ ref('int_orders_converted_to_usd') }}

),

order_history as (

    select
        orders.customer_id,
        min(orders.placed_at) as first_order_at,
        count(*) as lifetime_orders,
        -- tally: ignore[MC002] because lifetime value is per customer; test accounts are flagged on the row
        sum(orders.gross_revenue_usd) as lifetime_gross_revenue_usd
    from orders
    where not orders.is_cancelled
    group by orders.customer_id

),

final as (

    select
        cast(customers.customer_id as bigint) as customer_id,
        -- Personal data stops here: only a one-way hash of the email reaches the mart, for
        -- matching against other systems without exposing it.
        cast(
            case when customers.has_valid_email then {{ dbt.hash('customers.email') }} end
            as {{ dbt.type_string() }}
        ) as email_hash,
        cast(customers.country_code as {{ dbt.type_string() }}) as country_code,
        cast(countries.region as {{ dbt.type_string() }}) as region,
        cast(customers.account_type as {{ dbt.type_string() }}) as account_type,
        cast(customers.is_test_account as boolean) as is_test_account,
        cast(customers.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(customers.has_marketing_opt_in as boolean) as has_marketing_opt_in,
        cast(customers.created_at as timestamp) as created_at,
        cast(customers.created_at as date) as signup_date,
        cast(order_history.first_order_at as timestamp) as first_order_at,
        cast(order_history.first_order_at as date) as first_order_date,
        cast(coalesce(order_history.lifetime_orders, 0) as integer) as lifetime_orders,
        cast(coalesce(order_history.lifetime_gross_revenue_usd, 0) as decimal(18, 2)) as lifetime_gross_revenue_usd
    from customers
    left join countries
        on customers.country_code = countries.country_code
    left join order_history
        on customers.customer_id = order_history.customer_id

)

select * from final
