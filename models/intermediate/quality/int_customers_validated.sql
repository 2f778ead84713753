{#- Every customer record with the reason it cannot be trusted, if any. Rows with a reason go
    to fct_quarantined_rows; the rest flow on. A malformed email does not make the customer
    untrustworthy: the record flows on without it (has_valid_email = false), and the value is
    quarantined on its own.
    Incremental (dbt_project.yml): a run judges again the customers whose latest version was
    loaded since the high-water mark, reading staging above the smallest such key only
    (macros/project/incremental_window.sql). As a view, the CDC window over every customer and
    the test-account check ran once per reader, about ten per build. The verdict and flags
    depend on var('tally_email_pattern') and var('tally_internal_email_domains') too: changing
    either needs a --full-refresh. -#}
with

customers as (

    select * from {{ ref('stg_shop__customers') }}
    {%- if is_incremental() %}
    where {{ tally.changed_since_mark(ref('stg_shop__customers'), 'customer_id') }}
    {%- endif %}

),

checked as (

    -- Not the name, phone or postal address: nothing downstream uses them, and this is a table,
    -- so they would be stored a second time. The email stays for the mart's hash of it.
    select
        customers.customer_id,
        customers.email,
        customers.country_code,
        customers.account_type,
        customers.acquisition_channel,
        customers.customer_time_zone,
        customers.is_test_account,
        customers.has_marketing_opt_in,
        customers.created_at,
        customers.updated_at,
        customers.loaded_at,
        customers.versions_delivered,
        coalesce(
            {{ tally.matches_pattern('customers.email', var('tally_email_pattern')) }}, false
        ) as has_valid_email,
        case
            when customers.customer_id is null then 'null_key'
        end as quarantine_reason,
        {{ tally.processed_at() }} as processed_at
    from customers

)

select * from checked
