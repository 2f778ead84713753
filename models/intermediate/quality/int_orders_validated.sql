{#- Every order with the reason it cannot be trusted, if any.
    Incremental (dbt_project.yml): a run reprocesses the orders whose latest version was loaded
    since the high-water mark, and the orders whose customer verdict no longer holds (a customer
    that arrived late, or became a test account), reading staging above the smallest such key
    only, and the oldest few changed keys by value (changed_rows: late changes to old orders put
    the smallest changed key far below the rest; macros/project/incremental_window.sql). A change
    of reference data (currencies, FX rates) needs a --full-refresh. -#}
{%- if is_incremental() %}
    {#- A customer's verdict and flag come from its own record and var('tally_internal_email_domains'),
        so with the var unchanged only a customer written since this model last ran can move an
        order's (10M orders joined to 1M customers twice per run, otherwise). Its processed_at
        says so even when a selective run (`-s int_orders_validated+`) skipped the customers
        while their new versions arrived; their load time would be behind this model's mark by
        then. Changing the var needs a --full-refresh, like reference data. -#}
    {%- set mark = tally.incremental_mark('loaded_at', where='order_id is not null') %}
    {%- set processed_mark = tally.processed_mark() %}
    {%- set orders_with_changed_customer = tally.rejudged_keys('order_id', [(
        '(select * from ' ~ ref('int_customers_validated') ~ ' where quarantine_reason is null and '
            ~ tally.processed_since(ref('int_customers_validated'), processed_mark) ~ ')',
        'customers', 'validated.customer_id = customers.customer_id'
    )], 'validated.is_test_account', 'customers.is_test_account',
        where=none if processed_mark is none else 'customers.customer_id is not null') %}
{%- endif %}
with

orders as (

    {%- if is_incremental() %}
    {{ tally.changed_rows(ref('stg_shop__orders'), 'order_id', rejudge=orders_with_changed_customer, mark=mark) }}
    {%- else %}
    select * from {{ ref('stg_shop__orders') }}
    {%- endif %}

),
{%- if is_incremental() %}

-- The customer each reprocessed order had before: an order re-delivered under another customer
-- changes the old customer's order history too (dim_customers), and only this table still knows it.
stored_customers as (

    select order_id, customer_id from {{ this }}
    where order_id in (select orders.order_id from orders)

),
{%- endif %}

customers as (

    select * from {{ ref('int_customers_validated') }}
    where quarantine_reason is null

),

currencies as (

    select * from {{ ref('stg_reference__currencies') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled_to_days') }}

),

checked as (

    select
        orders.*,
        customers.is_test_account,
        case
            when orders.order_id is null then 'null_key'
            when orders.is_deleted_in_source then 'deleted_in_source'
            when customers.customer_id is null then 'unknown_customer'
            when currencies.currency_code is null then 'unknown_currency'
            when orders.placed_at > {{ dbt.dateadd('day', 1, 'orders.loaded_at') }} then 'future_timestamp'
            when orders.first_loaded_at > {{ tally.month_closes_at('orders.placed_at') }} then 'late_for_closed_month'
            when fx_rates.usd_per_unit is null then 'missing_fx_rate'
        end as quarantine_reason,
        {{ tally.moved_from_parent('stored_customers.customer_id', 'orders.customer_id') }} as moved_from_customer_id,
        {{ tally.processed_at() }} as processed_at
    from orders
    left join customers
        on orders.customer_id = customers.customer_id
    left join currencies
        on orders.currency_code = currencies.currency_code
    left join fx_rates
        on
            cast(orders.placed_at as date) = fx_rates.rate_date
            and orders.currency_code = fx_rates.currency_code
    {%- if is_incremental() %}
    left join stored_customers
        on orders.order_id = stored_customers.order_id
    {%- endif %}

)

select * from checked
