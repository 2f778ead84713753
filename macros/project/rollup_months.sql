{# The months an incremental monthly rollup of `relation` computes again, as a sorted list of
   date literals (empty when none). A month moves when a row of it was written since `mark`
   (its processed_at; a row moved into a month is written, so stamped), or when it lost a row:
   then the rows counted in it now (`counted`, a condition on `relation`) no longer number what
   the rollup stored (`stored_count`, a column of {{ this }}). A removed row that did not count
   moves nothing. Only the months that moved are read again: at scale 10, one batch touches 3
   months of 37. #}
{% macro months_to_recompute(relation, date_column, mark, counted, stored_count) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set month -%}cast({{ dbt.date_trunc('month', date_column) }} as date){%- endset -%}
    {%- set query -%}
        select month_start from (
            select {{ month }} as month_start
            from {{ relation }}
            where processed_at > {{ mark }}
            union
            {{ tally.recounted_months(relation, date_column, counted, stored_count) }}
        ) as moved
        where month_start is not null
        order by month_start
    {%- endset -%}
    {%- set months = [] -%}
    {%- for row in run_query(query) -%}
        {%- do months.append('cast(' ~ tally.sql_literal(row[0]) ~ ' as date)') -%}
    {%- endfor -%}
    {{ return(months) }}
{%- endmacro %}

{# The months of {{ this }}, a monthly rollup, whose stored count (`stored_count`) no longer
   numbers the rows of `relation` counted in them now (`counted`), as a query of month_start.
   lost_only: only the months that count fewer now (a row removed, or moved out), for a rollup
   that finds the rows added by their load time. #}
{% macro recounted_months(relation, date_column, counted, stored_count, lost_only=false) -%}
    {%- set month -%}cast({{ dbt.date_trunc('month', date_column) }} as date){%- endset -%}
    select coalesce(stored.month_start, counted.month_start) as month_start
    from {{ this }} as stored
    full outer join (
        select {{ month }} as month_start, count(*) as row_count
        from {{ relation }}
        where {{ counted }}
        group by {{ month }}
    ) as counted
        on stored.month_start = counted.month_start
    {%- if lost_only %}
    where coalesce(stored.{{ stored_count }}, 0) > coalesce(counted.row_count, 0)
    {%- else %}
    where stored.{{ stored_count }} is distinct from counted.row_count
    {%- endif %}
{%- endmacro %}

{# A condition on `date_column`: its month is one of `months` (date literals, sorted, as
   months_to_recompute returns them); `1 = 0` for none. The lower bound lets the engine skip the
   storage blocks before the first month. #}
{% macro month_in(date_column, months) -%}
    {%- if months | length == 0 -%}{{ return('1 = 0') }}{%- endif -%}
    {{ return('(' ~ date_column ~ ' >= ' ~ months[0] ~ ' and cast(' ~ dbt.date_trunc('month', date_column)
        ~ ' as date) in (' ~ months | join(', ') ~ '))') }}
{%- endmacro %}
