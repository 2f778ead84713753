{#- var('tally_currency_minor_units') is how staging turns minor units into decimals (staging may
    not join the currencies seed). It must list exactly the seed's currencies with the same
    minor units: a currency missing from the map would silently get two decimals. Returns every
    currency where the two disagree. -#}
{%- set minor_units = var('tally_currency_minor_units') -%}
with

currencies as (

    select * from {{ ref('currencies') }}

),

minor_units_var as (

    {% for code, exponent in minor_units | dictsort %}
    select
        cast('{{ code }}' as {{ dbt.type_string() }}) as currency_code,
        cast({{ exponent }} as {{ dbt.type_int() }}) as minor_units
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

compared as (

    select
        coalesce(currencies.currency_code, minor_units_var.currency_code) as currency_code,
        currencies.minor_units as seed_minor_units,
        minor_units_var.minor_units as var_minor_units
    from currencies
    full outer join minor_units_var
        on currencies.currency_code = minor_units_var.currency_code

)

select *
from compared
where
    seed_minor_units is null
    or var_minor_units is null
    or seed_minor_units <> var_minor_units
