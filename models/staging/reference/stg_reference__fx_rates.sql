with

source as (

    select * from {{ ref('fx_rates') }}

),

renamed as (

    select

        ----------  strings
        upper(currency_code) as currency_code,

        ----------  numerics
        cast(usd_per_unit as decimal(18, 6)) as usd_per_unit,

        ----------  timestamps
        cast(rate_date as date) as rate_date

    from source

)

select * from renamed
