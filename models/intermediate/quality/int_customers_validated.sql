{#- Every customer record with the reason it cannot be trusted, if any. Rows with a reason go
    to fct_quarantined_rows; the rest flow on. A malformed email does not make the customer
    untrustworthy: the record flows on without it (has_valid_email = false), and the value is
    quarantined on its own. -#}
with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

checked as (

    select
        customers.*,
        coalesce(
            {{ tally.matches_pattern('customers.email', var('tally_email_pattern')) }}, false
        ) as has_valid_email,
        case
            when customers.customer_id is null then 'null_key'
        end as quarantine_reason
    from customers

)

select * from checked
