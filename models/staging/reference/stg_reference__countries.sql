with

source as (

    select * from {{ ref('countries') }}

),

renamed as (

    select

        ----------  strings
        upper(country_code) as country_code,
        country_name,
        region,
        upper(currency_code) as currency_code,
        time_zone

    from source

)

select * from renamed
