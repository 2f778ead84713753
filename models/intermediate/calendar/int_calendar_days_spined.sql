{#- The one calendar every date in the warehouse joins to. A root model by design: it is
    generated, not read from a source. -#}
with

days as (

    {{ dbt.date_spine(
        'day',
        dbt.cast("'" ~ var('tally_calendar_start') ~ "'", dbt.type_timestamp()),
        dbt.cast("'" ~ var('tally_calendar_end') ~ "'", dbt.type_timestamp())
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
