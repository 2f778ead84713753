{# Data tests limited to what changed since the last complete, passing build.

   An incremental build processes the records delivered since its last run; testing every record
   ever delivered again costs more than the build (at scale 10, unique on the 100M events alone
   took 25 s). A test that opts in with `meta: {changed_keys: {source: <source.table>, column:
   <key column of the tested relation>}}` reads only the rows whose key is at or above the
   smallest key of that source delivered since the last build that ran every data test and
   passed, plus the rows with a NULL key. A duplicate, a conflicting version or a broken row
   count involving a new record has a key in that range, so it is still caught; rows below it
   were tested by an earlier build and are not read again.

   State, in schema var('tally_state_schema'):
   - tested_through: per source, the load time up to which a complete build passed;
   - test_scope: this invocation's floors, written by the on-run-start hook.
   A full refresh, a first build and `--vars '{tally_test_changed_keys_only: false}'` test
   everything. Sources opt in with `meta: {changed_key: <key column>}` and need a
   loaded_at_field. Spark builds tables from scratch every run, so it always tests everything.
   A model may read the same floor (fct_quarantined_rows does, for web events): it is a
   conservative watermark, everything delivered since a build that ran every model and test. #}

{% macro changed_keys_tracked() -%}
    {{ return(execute and flags.WHICH in ('build', 'test', 'run') and target.type != 'spark') }}
{%- endmacro %}

{# Whether the target database takes no writes (`dbt test` on the published, read-only DuckDB
   file): the hooks then write nothing, and every test reads everything. #}
{% macro database_is_read_only() -%}
    {{ return(adapter.dispatch('database_is_read_only', 'tally')()) }}
{%- endmacro %}

{% macro default__database_is_read_only() -%}
    {{ return(false) }}
{%- endmacro %}

{% macro duckdb__database_is_read_only() -%}
    {%- set found = run_query('select readonly from duckdb_databases() where database_name = current_database()') -%}
    {{ return(found | length > 0 and found[0][0]) }}
{%- endmacro %}

{% macro changed_keys_state(identifier) -%}
    {{ return(api.Relation.create(database=target.database, schema=var('tally_state_schema'), identifier=identifier)) }}
{%- endmacro %}

{# The sources that opt in, as (name, relation, key, loaded_at), from the graph. #}
{% macro changed_key_sources() -%}
    {%- set found = [] -%}
    {%- for node in graph.sources.values() -%}
        {%- set key = (node.config.meta or {}).get('changed_key') or node.meta.get('changed_key') -%}
        {%- if key -%}
            {%- if not node.loaded_at_field -%}
                {{ exceptions.raise_compiler_error(
                    "Source " ~ node.source_name ~ "." ~ node.name ~ " sets meta.changed_key but has no"
                    ~ " loaded_at_field: the changed keys are the ones loaded since the last tested build.") }}
            {%- endif -%}
            {%- do found.append((node.source_name ~ '.' ~ node.name, node.relation_name, key, node.loaded_at_field)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found | sort(attribute=0)) }}
{%- endmacro %}

{# on-run-start: the floor of every opted-in source for this invocation. One scan per source
   (the key and load-time columns only). #}
{% macro prepare_changed_keys() -%}
    {%- if not tally.changed_keys_tracked() or tally.database_is_read_only() -%}{{ return('') }}{%- endif -%}
    {%- set marks = tally.changed_keys_state('tested_through') -%}
    {%- set scope = tally.changed_keys_state('test_scope') -%}
    {%- set previous = {} -%}
    {%- if adapter.get_relation(marks.database, marks.schema, marks.identifier) is not none -%}
        {%- for row in run_query('select source_name, loaded_through from ' ~ marks) -%}
            {%- do previous.update({row[0]: row[1]}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set everything = flags.FULL_REFRESH or not var('tally_test_changed_keys_only') -%}
    {%- set rows = [] -%}
    {%- for name, relation, key, loaded_at in tally.changed_key_sources() -%}
        {%- set since = previous.get(name) -%}
        {#- Only the rows loaded since the mark: the Parquet reader skips the row groups
            loaded before it (a full scan of the 100M events took 3 s per build). -#}
        {%- set query -%}
            select min({{ key }}), max({{ loaded_at }}) from {{ relation }}
            {%- if since is not none %} where {{ loaded_at }} > {{ tally.timestamp_literal(since) }}{% endif %}
        {%- endset -%}
        {%- set newest = run_query(query)[0] -%}
        {%- set found = [
            none if everything or since is none else newest[0],
            newest[1] if newest[1] is not none else since,
        ] -%}
        {%- do rows.append("select '" ~ invocation_id ~ "', '" ~ name ~ "', "
            ~ (tally.quoted_literal(tally.sql_literal(found[0])) if found[0] is not none else 'null') ~ ", "
            ~ ('true' if everything or since is none else 'false') ~ ", "
            ~ (tally.timestamp_literal(found[1]) if found[1] is not none else 'null')) -%}
    {%- endfor -%}
    {#- The models' processed_at stamps (see processed_at): the start of the last complete,
        passing build, and this build's start, which becomes the mark when it passes. -#}
    {%- set since = previous.get(tally.processed_at_mark_name()) -%}
    {%- do rows.append("select '" ~ invocation_id ~ "', '" ~ tally.processed_at_mark_name() ~ "', "
        ~ (tally.quoted_literal(since | string) if since is not none and not everything else 'null') ~ ", "
        ~ ('true' if everything or since is none else 'false') ~ ", " ~ tally.processed_at()) -%}
    {#- The reads above opened a transaction, and dbt rolls a hook's connection back when it is
        released: end it, so the statements below run (and persist) on their own. (One more
        read first, so there is always a transaction to commit.) -#}
    {%- do run_query('select 1') -%}
    {%- do adapter.commit() -%}
    create schema if not exists {{ adapter.quote(marks.schema) }};
    create table if not exists {{ marks }} (
        source_name {{ dbt.type_string() }}, loaded_through {{ dbt.type_timestamp() }}
    );
    {#- This invocation's rows only (a test reads the scope of its own invocation, so a stale one
        from a run whose hook did not write is never used). -#}
    drop table if exists {{ scope }};
    create table {{ scope }} (
        invocation_id {{ dbt.type_string() }}, source_name {{ dbt.type_string() }},
        key_floor {{ dbt.type_string() }}, tests_everything {{ dbt.type_boolean() }},
        loaded_through {{ dbt.type_timestamp() }}
    );
    {%- if rows %}
    insert into {{ scope }} (invocation_id, source_name, key_floor, tests_everything, loaded_through)
    {{ rows | join(' union all ') }};
    {%- endif %}
{%- endmacro %}

{# on-run-end: a `dbt build` that ran every data test of the project (and so every model), all
   passing (or warning), moves each source's mark to what it read at the start. Anything less (a
   selection, a failure, a skipped test, a `dbt test` that built nothing) leaves the marks, so
   the next run tests and reprocesses those keys again. #}
{% macro record_changed_keys_tested(results) -%}
    {%- if not tally.changed_keys_tracked() or flags.WHICH != 'build' or tally.database_is_read_only() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set expected = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test') | list | length -%}
    {%- set passed = [] -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'test' and result.status in ('pass', 'warn') -%}
            {%- do passed.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if passed | unique | list | length < expected -%}{{ return('') }}{%- endif -%}
    {%- set marks = tally.changed_keys_state('tested_through') -%}
    {%- set scope = tally.changed_keys_state('test_scope') -%}
    delete from {{ marks }} where source_name in (
        select source_name from {{ scope }}
        where invocation_id = '{{ invocation_id }}' and loaded_through is not null
    );
    insert into {{ marks }} (source_name, loaded_through)
    select source_name, loaded_through from {{ scope }}
    where invocation_id = '{{ invocation_id }}' and loaded_through is not null;
{%- endmacro %}

{# The condition a test reads its relation with: `(<column> >= <floor> or <column> is null)`,
   or none when the test reads everything (no scope declared, a full refresh, a first build, a
   source without marks). `column` may be any expression of the tested relation's key. #}
{% macro changed_keys_condition(column, source_name) -%}
    {%- set found = tally.test_scope_of(source_name) -%}
    {%- if found is none -%}{{ return(none) }}{%- endif -%}
    {%- if found[0] is none -%}{{ return('(' ~ column ~ ' is null)') }}{%- endif -%}
    {{ return('(' ~ column ~ ' >= ' ~ found[0] ~ ' or ' ~ column ~ ' is null)') }}
{%- endmacro %}

{# This invocation's scope of one source (or of the processed_at mark), as a one-item list
   [key_floor] (the floor is none when nothing arrived since the mark), or none when it is
   tested in full: untracked, no scope table, no row, or tests_everything. #}
{% macro test_scope_of(source_name) -%}
    {%- if not tally.changed_keys_tracked() -%}{{ return(none) }}{%- endif -%}
    {%- set scope = tally.changed_keys_state('test_scope') -%}
    {%- if adapter.get_relation(scope.database, scope.schema, scope.identifier) is none -%}{{ return(none) }}{%- endif -%}
    {%- set query -%}
        select key_floor, tests_everything from {{ scope }}
        where invocation_id = '{{ invocation_id }}' and source_name = '{{ source_name }}'
    {%- endset -%}
    {%- set found = run_query(query) -%}
    {%- if found | length == 0 or found[0][1] -%}{{ return(none) }}{%- endif -%}
    {{ return([found[0][0]]) }}
{%- endmacro %}

{# The name the processed_at mark is kept under in tested_through, beside the sources. #}
{% macro processed_at_mark_name() -%}
    {{ return('tally.processed_at') }}
{%- endmacro %}

{# For a singular test on incremental models: the rows written (processed_at) since the last
   complete, passing build, as a condition `(<column> > <its start>)`, or none when the test
   reads everything (a full refresh, a first build, tally_test_changed_keys_only false, a
   read-only warehouse). Every row a build rewrites carries its start, re-judged or reloaded,
   so the rows below the mark were tested by a build that passed. #}
{% macro written_since_tested(column='processed_at') -%}
    {%- set found = tally.test_scope_of(tally.processed_at_mark_name()) -%}
    {%- if found is none or found[0] is none -%}{{ return(none) }}{%- endif -%}
    {{ return('(' ~ column ~ ' > ' ~ tally.timestamp_literal(found[0]) ~ ')') }}
{%- endmacro %}

{# The scope a test declared in its config, as a condition on the tested relation, or none. #}
{% macro declared_changed_keys_condition(column=none) -%}
    {%- set declared = (config.get('meta') or {}).get('changed_keys') -%}
    {%- if not declared -%}{{ return(none) }}{%- endif -%}
    {%- if not declared.get('source') or not declared.get('column') -%}
        {{ exceptions.raise_compiler_error(
            "meta.changed_keys of a test needs a source (source.table) and a column, got " ~ declared) }}
    {%- endif -%}
    {{ return(tally.changed_keys_condition(column or declared.column, declared.source)) }}
{%- endmacro %}

{# get_where_subquery for generic tests: the test's `where` config and its changed-keys scope.
   The project's get_where_subquery calls it; another project opts in the same way. #}
{% macro where_subquery_with_changed_keys(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set changed = tally.declared_changed_keys_condition() -%}
    {%- if changed is not none -%}{%- do conditions.append(changed) -%}{%- endif -%}
    {%- if not conditions -%}{{ return(relation) }}{%- endif -%}
    {{ return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') }}
{%- endmacro %}

{# A value read with run_query, as an SQL literal: numbers bare, anything else quoted. #}
{% macro sql_literal(value) -%}
    {%- if value is number -%}{{ return(value | string) }}{%- endif -%}
    {{ return(tally.quoted_literal(value | string)) }}
{%- endmacro %}

{% macro quoted_literal(text) -%}
    {{ return("'" ~ (text | replace("'", "''")) ~ "'") }}
{%- endmacro %}
