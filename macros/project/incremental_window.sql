{# What an incremental run reprocesses, as literals the engine can push into its scans.

   incremental_mark: this model's high-water mark less var('tally_incremental_lookback_days'),
   a timestamp literal, or none when the model is empty (or not yet built, or at parse time).

   changed_key_floor: the smallest key among the rows of some relations loaded after the mark,
   a literal, or none when nothing arrived. A filter `key >= <floor>` is a constant on the key,
   and DuckDB pushes a constant filter on a window's partition key through the window: the CDC
   deduplication in staging then ranks the versions of the keys in range only, instead of every
   version ever delivered (at scale 10, 40M order versions or 30M sessions per read), and the
   Parquet reader skips the row groups below it. A filter on the load time cannot pass the
   window, and a semi-join on the changed keys is not pushed at all; a literal is. Keys are
   allocated in increasing order, so the range above the floor is mostly what changed. #}
{% macro incremental_mark(loaded_at, where=none) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set query -%}
        select max({{ loaded_at }}) from {{ this }}{% if where %} where {{ where }}{% endif %}
    {%- endset -%}
    {%- set latest = run_query(query).columns[0].values()[0] -%}
    {%- if latest is none -%}{{ return(none) }}{%- endif -%}
    {{ return(dbt.dateadd('day', -var('tally_incremental_lookback_days'), tally.timestamp_literal(latest))) }}
{%- endmacro %}

{% macro changed_key_floor(changes, mark) -%}
    {#- changes: a list of (relation, key column, load-time column[, extra condition]); with
        no load-time column (none) the condition alone picks the changed rows. -#}
    {%- if not execute or mark is none -%}{{ return(none) }}{%- endif -%}
    {%- set query -%}
        select min(changed_key) from (
            {%- for change in changes %}
            select min({{ change[1] }}) as changed_key
            from {{ change[0] }}
            where {{ tally.changed_rows_condition(change, mark) }}
            {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        ) as changed
    {%- endset -%}
    {%- set floor = run_query(query).columns[0].values()[0] -%}
    {%- if floor is none -%}{{ return(none) }}{%- endif -%}
    {{ return(tally.sql_literal(floor)) }}
{%- endmacro %}

{# The rows of one `changes` entry (see changed_key_floor) that changed after the mark. #}
{% macro changed_rows_condition(change, mark) -%}
    {% if change[2] is not none %}{{ change[2] }} > {{ mark }}{% else %}1 = 1{% endif %}
    {%- if change | length > 3 %} and ({{ change[3] }}){% endif %}
{%- endmacro %}

{# The keys that changed, exactly, as a list of conditions whose union they are (for
   select_in_ranges): `key >= <floor> and key in (<the changed keys>)`, and, when more than
   var('tally_changed_key_tail_size') keys changed, `key in (<the oldest of them, as literals>)`
   with the floor above those (changed_key_tail); ['1 = 0'] when nothing changed. The floor is
   a literal the engine pushes into the scans; the semi-join keeps only the changed keys above
   it. Late changes to old records put the smallest changed key far below the new ones (at
   scale 10, one batch: 9% from the top of 10M orders, of which 3% changed), and a semi-join
   does not reach the scans below a view's aggregate: the tail keeps those reads to the newer
   keys. #}
{% macro changed_keys_exactly(key, changes, mark) -%}
    {%- set tail = tally.changed_key_tail(changes, mark) -%}
    {%- if tail is none -%}{{ return(['1 = 0']) }}{%- endif -%}
    {%- set changed = [] -%}
    {%- for change in changes -%}
        {%- do changed.append('select ' ~ change[1] ~ ' from ' ~ change[0] ~ ' where '
            ~ tally.changed_rows_condition(change, mark) ~ ' and ' ~ change[1] ~ ' >= ' ~ tail.floor) -%}
    {%- endfor -%}
    {%- set ranges = ['(' ~ key ~ ' >= ' ~ tail.floor ~ ' and ' ~ key ~ ' in (' ~ changed | join(' union ') ~ '))'] -%}
    {#- The tail's smallest key too: DuckDB prunes a table's row groups by it, not by the list. -#}
    {%- if tail.listed -%}
        {%- do ranges.append('(' ~ key ~ ' >= ' ~ tail.smallest ~ ' and ' ~ key ~ ' in (' ~ tail.listed ~ '))') -%}
    {%- endif -%}
    {{ return(ranges) }}
{%- endmacro %}

{# The orders an incremental run of an order-level fact rebuilds (fct_order_items, fct_payments):
   the orders with a row of `rows` (its validation model) loaded since this model's high-water
   mark, and the orders converted again since this model last ran (their processed_at in
   int_orders_converted_to_usd: a cancellation, a late line, a changed test-account flag, with or
   without a new load). Returns {ranges: changed_keys_exactly ranges, mark, processed_mark};
   outside an incremental run, and before this model has recorded a run, ranges is ['1 = 1'] and
   mark is none. The model names both refs in a `depends_on` comment: dbt parses it outside an
   incremental run, where these refs are never called. #}
{% macro orders_changed_since_last_run(rows) -%}
    {%- set changed = {'ranges': ['1 = 1'], 'mark': none, 'processed_mark': none} -%}
    {%- if not is_incremental() -%}{{ return(changed) }}{%- endif -%}
    {%- set processed_mark = tally.processed_mark() -%}
    {%- set mark = tally.incremental_mark('loaded_at') if processed_mark is not none else none -%}
    {%- if mark is none -%}{{ return(changed) }}{%- endif -%}
    {%- do changed.update({'mark': mark, 'processed_mark': processed_mark, 'ranges': tally.changed_keys_exactly('order_id', [
        (rows, 'order_id', 'loaded_at'),
        (ref('int_orders_converted_to_usd'), 'order_id', none, 'processed_at > ' ~ processed_mark),
    ], mark)}) -%}
    {{ return(changed) }}
{%- endmacro %}

{# The rows of a relation within any of `ranges` (changed_keys_exactly; disjoint conditions), and
   `where` if given: one select per range, unioned, so each range's literals reach the scans. #}
{% macro select_in_ranges(relation, ranges, where=none) -%}
    {%- set selects = [] -%}
    {%- for range in ranges -%}
        {%- do selects.append('select * from ' ~ relation ~ ' where ' ~ ('(' ~ where ~ ') and ' if where else '') ~ range) -%}
    {%- endfor -%}
    {{ return(selects | join('\n    union all\n    ')) }}
{%- endmacro %}

{# A key filter for an incremental run: the keys at or above the floor, or none when nothing
   changed. Null keys are never in it: a model that keeps null-key rows selects those by load
   time (see delete_null_keys_since_mark). #}
{% macro key_at_or_above(key, floor) -%}
    {%- if floor is none -%}1 = 0{%- else -%}{{ key }} >= {{ floor }}{%- endif -%}
{%- endmacro %}

{# The rows of a staging relation an incremental validation model reprocesses, as a condition:
   the keyed rows at or above the floor that were loaded since the mark, or whose verdict must be
   judged again (rejudge: a query of such keys, e.g. the rows of {{ this }} whose parent changed),
   and the null-key rows loaded since the mark (delete_null_keys_since_mark removed their earlier
   copies). 1 = 1 while the model holds no keyed row. For incremental runs only. #}
{% macro changed_since_mark(staging, key, rejudge=none, loaded_at='loaded_at', mark=none) -%}
    {#- mark: the model's incremental_mark over keyed rows, when the caller already read it. -#}
    {%- set mark = mark if mark is not none else tally.incremental_mark(loaded_at, where=key ~ ' is not null') -%}
    {%- if mark is none -%}
        1 = 1
    {%- else -%}
        {%- set changes = tally.reprocessed_changes(staging, key, rejudge, loaded_at) -%}
        ({{ tally.key_at_or_above(key, tally.changed_key_floor(changes, mark)) }} or {{ key }} is null)
        and ({{ tally.loaded_or_rejudged(key, rejudge, loaded_at, mark) }})
    {%- endif -%}
{%- endmacro %}

{# The same rows as changed_since_mark, as a query on the staging relation, for a model whose few
   oldest changes lie far below the rest (late changes to old orders): the changed keys below the
   tail's floor (changed_key_tail) are read by value in a second branch. DuckDB pushes an IN-list
   of literals through staging's window into the Parquet scan, as it does the floor; beside the
   floor in one OR it is pushed nowhere (slower than the floor alone). The listed keys changed by
   construction, so their branch needs no condition on the load time or the rejudged keys. #}
{% macro changed_rows(staging, key, rejudge=none, loaded_at='loaded_at', mark=none) -%}
    {%- set mark = mark if mark is not none else tally.incremental_mark(loaded_at, where=key ~ ' is not null') -%}
    {%- if mark is none -%}{{ return('select * from ' ~ staging) }}{%- endif -%}
    {%- set tail = tally.changed_key_tail(tally.reprocessed_changes(staging, key, rejudge, loaded_at), mark) -%}
    select * from {{ staging }}
    where
        ({{ tally.key_at_or_above(key, tail.floor if tail else none) }} or {{ key }} is null)
        and ({{ tally.loaded_or_rejudged(key, rejudge, loaded_at, mark) }})
    {%- if tail and tail.listed %}
    union all
    select * from {{ staging }}
    where {{ key }} in ({{ tail.listed }})
    {%- endif %}
{%- endmacro %}

{# The `changes` (see changed_key_floor) a validation model reprocesses: its staging relation's
   new rows, read from the source where it opts in (raw_changes_of), and the rejudged keys. #}
{% macro reprocessed_changes(staging, key, rejudge, loaded_at) -%}
    {%- set changes = [tally.raw_changes_of(staging) or (staging, key, loaded_at)] -%}
    {%- if rejudge is not none -%}
        {%- do changes.append(('(' ~ rejudge ~ ') as rejudged', key, none)) -%}
    {%- endif -%}
    {{ return(changes) }}
{%- endmacro %}

{# Loaded since the mark, or to be judged again. #}
{% macro loaded_or_rejudged(key, rejudge, loaded_at, mark) -%}
    {{ loaded_at }} > {{ mark }}
    {%- if rejudge is not none %} or {{ key }} in ({{ rejudge }}){% endif %}
{%- endmacro %}

{# The changed keys split for changed_rows and changed_keys_exactly, from one query:
   {floor, listed, smallest}. When more than `size` keys changed, `listed` holds the `size`
   smallest as literals for `key in (...)` and `floor` is the next one; otherwise `floor` is the
   smallest changed key (changed_key_floor) and `listed` is none. `smallest` is the smallest. None when nothing changed. At scale 10 one batch changed 238k of 10M
   orders, but a few late changes to old orders put the smallest below 900k orders, whose 3.5M
   versions staging's window ranked; above the 1001st smallest changed key lie 1.2M versions,
   and the 1000 below it are read by value. #}
{% macro changed_key_tail(changes, mark, size=var('tally_changed_key_tail_size')) -%}
    {%- if not execute or mark is none -%}{{ return(none) }}{%- endif -%}
    {%- set size = [size | int, 0] | max -%}
    {%- set query -%}
        select distinct changed_key from (
            {%- for change in changes %}
            select {{ change[1] }} as changed_key
            from {{ change[0] }}
            where {{ tally.changed_rows_condition(change, mark) }} and {{ change[1] }} is not null
            {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        ) as changed
        order by changed_key
        limit {{ size + 1 }}
    {%- endset -%}
    {%- set found = run_query(query).columns[0].values() -%}
    {%- if found | length == 0 -%}{{ return(none) }}{%- endif -%}
    {%- set smallest = tally.sql_literal(found[0]) -%}
    {%- if found | length <= size -%}{{ return({'floor': smallest, 'listed': none, 'smallest': smallest}) }}{%- endif -%}
    {%- set keys = [] -%}
    {%- for value in found[:size] -%}{%- do keys.append(tally.sql_literal(value)) -%}{%- endfor -%}
    {{ return({'floor': tally.sql_literal(found[size]), 'listed': keys | join(', '), 'smallest': smallest}) }}
{%- endmacro %}

{# Where to look for the keys a staging model delivered after a mark: its source, as
   (relation, key, load time) from the source's meta.changed_key (or `column`, a column the
   source and staging name alike) and loaded_at_field, or none (then read the staging relation).
   `staging`: the staging model's relation or name; a name adds no dependency, for models that
   read staging only through an intermediate view. The staging view keeps the latest version of
   each key, and its window on the key keeps a filter on the load time from reaching the scan:
   every version ever delivered was ranked to find the new ones (at scale 10, 40M order
   versions, 10 s per run). On the source, the filter on the load time lets the Parquet reader
   skip the row groups loaded before the mark. A key with any version loaded after the mark is
   there, so the floor read from the source is never above the one read from staging. #}
{% macro raw_changes_of(staging, column=none) -%}
    {#- (The graph is empty in a unit test's context.) -#}
    {%- set nodes = graph.get('nodes') or {} if execute else {} -%}
    {%- set sources = graph.get('sources') or {} if execute else {} -%}
    {%- set name = staging if staging is string else staging.identifier -%}
    {%- for node in nodes.values() if node.resource_type == 'model'
        and (node.alias or node.name) == name -%}
        {%- set parents = (node.depends_on or {}).get('nodes', []) | select('in', sources) | list -%}
        {%- if parents | length == 1 -%}
            {%- set source = sources[parents[0]] -%}
            {%- set key = (source.config.meta or {}).get('changed_key') or source.meta.get('changed_key') -%}
            {%- if key and source.loaded_at_field -%}
                {{ return((source.relation_name, column or key, source.loaded_at_field)) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{# The keys of {{ this }} to judge again although not reloaded: the rows whose stored verdict
   (`stored`, on alias `validated`) differs from the one their parents give now (`current`, on
   the aliases of `parents`, a list of (relation, alias, join condition) left-joined to
   `validated`), optionally only where `where` holds. A query, for changed_since_mark's
   `rejudge`. #}
{% macro rejudged_keys(key, parents, stored, current, where=none) -%}
    select validated.{{ key }}
    from {{ this }} as validated
    {%- for relation, alias, condition in parents %}
    left join {{ relation }} as {{ alias }} on {{ condition }}
    {%- endfor %}
    where validated.{{ key }} is not null and ({{ stored }}) is distinct from ({{ current }})
    {%- if where %} and ({{ where }}){% endif %}
{%- endmacro %}

{# A pre-hook for incremental models that keep rows with a NULL key (for quarantine): delete+insert
   replaces rows by key, and a NULL key matches nothing, so the null-key rows an incremental run
   reprocesses are deleted first. The mark is the model's own (computed over keyed rows only, so
   this delete does not move it). #}
{% macro delete_null_keys_since_mark(key, loaded_at='loaded_at') -%}
    {%- set mark = tally.incremental_mark(loaded_at, where=key ~ ' is not null') -%}
    {%- if mark is not none -%}
    delete from {{ this }} where {{ key }} is null and {{ loaded_at }} > {{ mark }}
    {%- endif -%}
{%- endmacro %}

{# A post-hook for an incremental mart that holds valid rows only: delete+insert replaces only the
   keys a run writes, so a record that left the valid set (deleted in the source, delivered again
   with a bad value) would stay. Deletes the keys quarantined now in the validation model that
   holds every record with its quarantine_reason: a short list, not an anti-join. #}
{% macro delete_quarantined(validated, key) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ key }} in (
        select {{ key }} from {{ validated }} where quarantine_reason is not null and {{ key }} is not null
    )
    {%- endif -%}
{%- endmacro %}

{% macro timestamp_literal(value) -%}
    cast('{{ value }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# Whether a built relation has a column (case-insensitive): an incremental model that adds a
   column it reads from {{ this }} checks it first, for tables built before the column existed. #}
{% macro relation_has_column(relation, column) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return(column | lower in names) }}
{%- endmacro %}

{# The values a query returns, as a list of literals for `x in (...)`, when there are at most
   `limit` of them (`null` for none), else the query itself. DuckDB pushes a constant IN-list
   through a view's joins into its scans; an IN-subquery becomes a join above them. #}
{% macro literal_list_or_query(query, limit=10000) -%}
    {%- if not execute -%}{{ return(query) }}{%- endif -%}
    {%- set found = run_query('select * from (' ~ query ~ ') as listed limit ' ~ (limit + 1)) -%}
    {%- if found | length > limit -%}{{ return(query) }}{%- endif -%}
    {%- if found | length == 0 -%}{{ return('null') }}{%- endif -%}
    {%- set literals = [] -%}
    {%- for row in found -%}{%- do literals.append(tally.sql_literal(row[0])) -%}{%- endfor -%}
    {{ return(literals | join(', ')) }}
{%- endmacro %}

{# When this build started, the value of a `processed_at` column: the rows an incremental model
   wrote in a build carry that build's start. A model downstream finds the rows written upstream
   since it last ran (`processed_at > processed_mark()`), re-judged or re-converted without a new
   load as well as reloaded, which load-time marks miss. #}
{% macro processed_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# The start of the last build that wrote {{ this }}, a timestamp literal, or none (an empty
   table, one built before it had the column, or parse time). No look-back: the stamps are this
   project's own, not a source's clock. #}
{% macro processed_mark() -%}
    {%- if not execute or not tally.relation_has_column(this, 'processed_at') -%}{{ return(none) }}{%- endif -%}
    {%- set latest = run_query('select max(processed_at) from ' ~ this).columns[0].values()[0] -%}
    {{ return(tally.timestamp_literal(latest) if latest is not none else none) }}
{%- endmacro %}

{# The rows of an upstream relation written since `mark` (a processed_mark), as a condition;
   every row when the relation has no processed_at yet (built before it had the column). #}
{% macro processed_since(relation, mark) -%}
    {%- if mark is none or not tally.relation_has_column(relation, 'processed_at') -%}{{ return('1 = 1') }}{%- endif -%}
    {{ return('processed_at > ' ~ mark) }}
{%- endmacro %}

{# Whether two rows differ in any of `columns`, NULL-safe: `(left.c is distinct from right.c or
   ...)`, for an incremental model that writes only the rows that changed. #}
{% macro rows_differ(left, right, columns) -%}
    {%- set differs = [] -%}
    {%- for column in columns -%}
        {%- do differs.append(left ~ '.' ~ column ~ ' is distinct from ' ~ right ~ '.' ~ column) -%}
    {%- endfor -%}
    ({{ differs | join(' or ') }})
{%- endmacro %}

{# The parent a reprocessed row had before, when it differs from its parent now, else NULL:
   `stored` is the parent key read from {{ this }}, `current` the one the row has now (a line or
   payment re-delivered under another order changes the order it left too). NULL outside an
   incremental run, where nothing was stored. #}
{% macro moved_from_parent(stored, current) -%}
    {%- if not is_incremental() -%}{{ return('cast(null as ' ~ dbt.type_bigint() ~ ')') }}{%- endif -%}
    {{ return('case when ' ~ stored ~ ' is distinct from ' ~ current ~ ' then ' ~ stored ~ ' end') }}
{%- endmacro %}
