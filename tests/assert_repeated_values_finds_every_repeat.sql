{#- repeated_values, the core of the uniqueness tests (unique on DuckDB, no_conflicting_versions,
    unique_combination_of_columns), against rows whose repeats are worked out by hand: a value
    three times, NULLs that repeat (they compare equal, as in GROUP BY), and near misses that
    differ in one column. Returns every row where what it finds and what is expected differ. -#}
{#- Literal rows: name -> ([(column, type)], rows of SQL literals). -#}
{%- set literal_rows = {
    'delivered': ([('record_key', dbt.type_int()), ('loaded_version', dbt.type_string())], [
        (1, "'a'"), (1, "'b'"), (1, "'a'"), (2, 'null'), (3, "'b'"),
        (1, "'a'"), ('null', 'null'), (2, 'null'), ('null', "'c'"), ('null', 'null'),
    ]),
    'pairs_expected': ([('record_key', dbt.type_int()), ('loaded_version', dbt.type_string()), ('occurrences', dbt.type_bigint())], [
        (1, "'a'", 3), (2, 'null', 2), ('null', 'null', 2),
    ]),
    'keys_expected': ([('record_key', dbt.type_int()), ('occurrences', dbt.type_bigint())], [
        (1, 4), (2, 2),
    ]),
} -%}
with

{% for name, (columns, rows) in literal_rows.items() %}
{{ name }} as (

    {% for row in rows %}
    {%- set targets = [] -%}
    {%- for column, type in columns -%}
    {%- do targets.append('cast(' ~ row[loop.index0] ~ ' as ' ~ type ~ ') as ' ~ column) -%}
    {%- endfor %}
    select
        {{ targets | join(',\n        ') }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

{% endfor %}
pairs_found as (

    {{ tally.repeated_values(
        'delivered', [['record_key', 'record_key'], ['loaded_version', 'loaded_version']], 'occurrences'
    ) }}

),

keys_found as (

    {{ tally.repeated_values('delivered', [['record_key', 'record_key']], 'occurrences', 'record_key is not null') }}

),

found as (

    select
        'pairs' as check_name,
        record_key,
        loaded_version,
        cast(occurrences as {{ dbt.type_bigint() }}) as occurrences
    from pairs_found
    union all
    select
        'keys' as check_name,
        record_key,
        cast(null as {{ dbt.type_string() }}) as loaded_version,
        cast(occurrences as {{ dbt.type_bigint() }}) as occurrences
    from keys_found

),

expected as (

    select
        'pairs' as check_name,
        record_key,
        loaded_version,
        occurrences
    from pairs_expected
    union all
    select
        'keys' as check_name,
        record_key,
        cast(null as {{ dbt.type_string() }}) as loaded_version,
        occurrences
    from keys_expected

),

not_found as (

    select * from expected
    except
    select * from found

),

not_expected as (

    select * from found
    except
    select * from expected

)

select
    'expected, not found' as difference,
    *
from not_found
union all
select
    'found, not expected' as difference,
    *
from not_expected
