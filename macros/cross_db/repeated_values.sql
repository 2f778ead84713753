{# The combinations of values that occur more than once in a relation, one row each with how
   many times it occurs: what a uniqueness test returns. `columns` is a list of
   [expression, alias] pairs; `where` (optional) leaves rows out first. NULLs compare equal, as in
   GROUP BY. #}
{% macro repeated_values(relation, columns, count_as='n_records', where=none) -%}
    {{ return(adapter.dispatch('repeated_values', 'tally')(relation, columns, count_as, where)) }}
{%- endmacro %}

{% macro default__repeated_values(relation, columns, count_as='n_records', where=none) -%}
select
    {%- for expression, alias in columns %}
    {{ expression }} as {{ alias }},
    {%- endfor %}
    count(*) as {{ count_as }}
from {{ relation }}
{%- if where %}
where {{ where }}
{%- endif %}
group by {% for expression, alias in columns %}{{ expression }}{% if not loop.last %}, {% endif %}{% endfor %}
having count(*) > 1
{%- endmacro %}

{#- DuckDB sorts the values and compares each row with the one before: equal values are
    neighbours. The columns tested are keys, nearly unique, and grouping by them builds a hash
    table as large as the input. At scale 10, each alone in one connection (CPU seconds,
    grouped -> sorted; python -m warehouse.bench.repeated_values): the 101M raw event ids
    45.4 -> 10.0, the orders' 40M (id, _cdc_lsn) versions 16.5 -> 8.0, fct_sessions' 30M keys
    10.8 -> 5.5. -#}
{% macro duckdb__repeated_values(relation, columns, count_as='n_records', where=none) -%}
{%- set aliases = [] -%}
{%- for expression, alias in columns -%}{%- do aliases.append(alias) -%}{%- endfor -%}
{%- set in_order = 'over (order by ' ~ aliases | join(', ') ~ ')' -%}
select
    {{ aliases | join(', ') }},
    count(*) + 1 as {{ count_as }}
from (
    select
        {{ aliases | join(', ') }},
        {%- for alias in aliases %}
        lag({{ alias }}) {{ in_order }} as previous_{{ alias }},
        {%- endfor %}
        row_number() {{ in_order }} as sorted_position
    from (
        select
            {%- for expression, alias in columns %}
            {{ expression }} as {{ alias }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ relation }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as projected
) as sorted_values
where
    sorted_position > 1
    {%- for alias in aliases %}
    and {{ alias }} is not distinct from previous_{{ alias }}
    {%- endfor %}
group by {{ aliases | join(', ') }}
{%- endmacro %}
