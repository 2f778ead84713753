{#- Every refund with the reason it cannot be trusted, if any. A refund that would take the
    payment's refunded total above the amount paid is quarantined, not capped; the running total
    counts only refunds that passed every other check, so a quarantined refund never pushes a
    later valid one over the limit.
    Incremental (dbt_project.yml): a refund's verdict depends on its payment and on the other
    refunds of that payment, so a run judges again every refund of the payments that changed: a
    refund of theirs loaded since the high-water mark (less the look-back), the payment written
    upstream since this model last ran (its verdict, amount or currency may have moved), and the
    payment a reloaded refund left. Rows without a key loaded since the mark are replaced by the
    pre-hook (delete_null_keys_since_mark). The refunds loaded since the mark are read from the
    source (raw_changes_of), whose scan skips the row groups loaded before it; the staging view
    ranks every version first. Rebuilt whole, it judged 773k refunds per run at scale 10 for 15k
    new ones. -#}
{%- if is_incremental() %}
    {%- set processed_mark = tally.processed_mark() %}
    {%- set mark = tally.incremental_mark('loaded_at', where='refund_id is not null') %}
    {%- set loaded = tally.raw_changes_of(ref('stg_payments__refunds'))
        or (ref('stg_payments__refunds'), 'refund_id', 'loaded_at') %}
{%- endif %}
{%- set incremental = is_incremental() and processed_mark is not none and mark is not none %}
with

{%- if incremental %}

loaded_refunds as (

    -- (A refund without a key is quarantined on its own and counts in no running total.)
    select {{ loaded[1] }} as refund_id, payment_id from {{ loaded[0] }}
    where {{ loaded[2] }} > {{ mark }} and {{ loaded[1] }} is not null

),

changed_payments as (

    select payment_id from loaded_refunds
    union
    -- The payment a reloaded refund had before: its other refunds' running total moves too.
    select payment_id from {{ this }}
    where refund_id in (select loaded_refunds.refund_id from loaded_refunds)
    union
    select payment_id from {{ ref('int_payments_validated') }}
    where {{ tally.processed_since(ref('int_payments_validated'), processed_mark) }}

),
{%- endif %}

refunds as (

    select * from {{ ref('stg_payments__refunds') }}
    {%- if incremental %}
    where
        (refund_id is not null and payment_id in (select changed_payments.payment_id from changed_payments))
        or loaded_at > {{ mark }}
    {%- endif %}

),

payments as (

    select * from {{ ref('int_payments_validated') }}

),

checked_individually as (

    select
        refunds.*,
        payments.order_id,
        payments.amount_local as payment_amount_local,
        case
            when refunds.refund_id is null then 'null_key'
            when payments.payment_id is null then 'unknown_payment'
            when payments.quarantine_reason is not null then 'payment_quarantined'
            when not payments.is_successful then 'refund_of_failed_payment'
            when refunds.amount_local < 0 then 'negative_amount'
            when refunds.currency_code <> payments.currency_code then 'currency_mismatch'
        end as individual_reason
    from refunds
    left join payments
        on refunds.payment_id = payments.payment_id

),

with_running_total as (

    select
        checked_individually.*,
        sum(case when checked_individually.individual_reason is null then checked_individually.amount_local end)
            over (
                partition by checked_individually.payment_id
                order by checked_individually.refunded_at, checked_individually.refund_id
                rows between unbounded preceding and current row
            ) as refunded_to_date_local
    from checked_individually

),

checked as (

    select
        with_running_total.*,
        coalesce(
            with_running_total.individual_reason,
            case
                when with_running_total.refunded_to_date_local > with_running_total.payment_amount_local
                    then 'refund_exceeds_payment'
            end
        ) as quarantine_reason,
        {{ tally.processed_at() }} as processed_at
    from with_running_total

)

select * from checked
