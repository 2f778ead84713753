with

source as (

    select * from {{ source('payments', 'refunds') }}

),

deduplicated as (

    {{ tally.latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as refund_id,
        payment_id,

        ----------  strings
        upper(currency) as currency_code,
        reason as refund_reason,

        ----------  numerics
        {{ tally.minor_to_decimal('amount_minor', 'currency') }} as amount_local,

        ----------  timestamps
        created_at as refunded_at,
        _loaded_at as loaded_at,

        ----------  lineage
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
