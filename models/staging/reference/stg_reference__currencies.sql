with

source as (

    select * from {{ ref('currencies') }}

),

renamed as (

    select

        ----------  strings
        upper(currency_code) as currency_code,
        currency_name,

        ----------  numerics
        cast(minor_units as {{ dbt.type_int() }}) as minor_units

    from source

)

select * from renamed
