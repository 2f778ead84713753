{# Row accounting for one source table: every raw row is either an older version collapsed by
   staging, a row of the output mart, or a quarantined row with a reason.

       rows in = rows out + rows quarantined + versions superseded

   It checks both halves: the staging model's `versions_delivered` adds up to the raw row count
   (staging collapsed only versions of a record), and every staged record is in the output or in
   quarantine (nothing was dropped on the way to the marts). Apply it to the source table.
   `quarantine_where` keeps only whole-record quarantine rows, where the quarantine model also
   lists values held out of records that flowed on. `staging_model` may be a table built from
   staging one row per record (a validation model): it spares a staging view's CDC window, and a
   record lost on the way to it breaks the first half.

   With meta.changed_keys (see changed_keys.sql) the source table is read from the changed keys
   on, and `key_columns` names the same key in each other relation (staging_model, output_model,
   quarantine_model: a column or an expression), so all four sides count the same records. #}
{% test rows_reconcile(
    model,
    staging_model,
    output_model,
    quarantine_model,
    source_table,
    output_rows='count(*)',
    versions_column='versions_delivered',
    quarantine_where=none,
    key_columns=none
) %}
{%- set changed = {} -%}
{%- if (config.get('meta') or {}).get('changed_keys') -%}
    {%- for side in ['staging_model', 'output_model', 'quarantine_model'] -%}
        {%- if not (key_columns or {}).get(side) -%}
            {{ exceptions.raise_compiler_error(
                "rows_reconcile on " ~ source_table ~ " declares meta.changed_keys, so key_columns must name the key of "
                ~ side ~ " too: the four sides must count the same records.") }}
        {%- endif -%}
        {%- do changed.update({side: tally.declared_changed_keys_condition(key_columns[side])}) -%}
    {%- endfor -%}
{%- endif %}
with

rows_in as (

    select count(*) as rows_in
    from {{ model }}

),

staged as (

    select
        count(*) as records_staged,
        {% if versions_column %}coalesce(sum({{ versions_column }}), 0){% else %}count(*){% endif %} as versions_staged
    from {{ staging_model }}
    {% if changed.staging_model %}where {{ changed.staging_model }}{% endif %}

),

rows_out as (

    select coalesce({{ output_rows }}, 0) as rows_out
    from {{ output_model }}
    {% if changed.output_model %}where {{ changed.output_model }}{% endif %}

),

rows_quarantined as (

    select count(*) as rows_quarantined
    from {{ quarantine_model }}
    where
        source_table = '{{ source_table }}'
        {% if quarantine_where %}and ({{ quarantine_where }}){% endif %}
        {% if changed.quarantine_model %}and {{ changed.quarantine_model }}{% endif %}

),

ledger as (

    select
        '{{ source_table }}' as source_table,
        rows_in.rows_in,
        rows_out.rows_out,
        rows_quarantined.rows_quarantined,
        rows_in.rows_in - staged.records_staged as versions_superseded,
        staged.versions_staged,
        staged.records_staged
    from rows_in
    cross join staged
    cross join rows_out
    cross join rows_quarantined

)

select *
from ledger
where
    rows_in <> versions_staged
    or records_staged <> rows_out + rows_quarantined
{% endtest %}
