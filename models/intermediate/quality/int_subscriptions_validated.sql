{#- Every subscription with the reason it cannot be trusted, if any. -#}
with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

customers as (

    select * from {{ ref('int_customers_validated') }}
    where quarantine_reason is null

),

currencies as (

    select * from {{ ref('stg_reference__currencies') }}

),

checked as (

    select
        subscriptions.*,
        customers.is_test_account,
        case
            when subscriptions.subscription_id is null then 'null_key'
            when customers.customer_id is null then 'unknown_customer'
            when currencies.currency_code is null then 'unknown_currency'
            when subscriptions.monthly_price_local < 0 then 'negative_amount'
        end as quarantine_reason
    from subscriptions
    left join customers
        on subscriptions.customer_id = customers.customer_id
    left join currencies
        on subscriptions.currency_code = currencies.currency_code

)

select * from checked
