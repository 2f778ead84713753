{#- Every customer record with the reason it cannot be trusted, if any. Rows with a reason go
    to fct_quarantined_rows; the rest flow on. -#}
with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

checked as (

    select
        customers.*,
        case
            when customers.customer_id is null then 'null_key'
        end as quarantine_reason
    from customers

)

select * from checked
