with

source as (

    select * from {{ source('payments', 'payments') }}

),

deduplicated as (

    {{ tally.latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select

        ----------  ids
        id as payment_id,
        order_id,

        ----------  strings
        upper(currency) as currency_code,
        lower(method) as payment_method,
        lower(status) as payment_status,
        failure_code,

        ----------  numerics
        {{ tally.minor_to_decimal('amount_minor', 'currency') }} as amount_local,

        ----------  booleans
        lower(status) = 'succeeded' as is_successful,

        ----------  timestamps
        attempted_at,
        _loaded_at as loaded_at,
        _first_loaded_at as first_loaded_at,

        ----------  lineage
        _versions_delivered as versions_delivered

    from deduplicated

)

select * from renamed
