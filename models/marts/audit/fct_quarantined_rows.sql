{#- Every source record held out of the marts, with the reason. Nothing untrustworthy is
    dropped silently: a record is either in its mart or here (quarantine_scope 'record'). A
    value that cannot be trusted in a record that can (a malformed email) is held out on its
    own and listed here too (quarantine_scope 'value'); its record is in the mart. -#}
{%- set checked = [
    ('shop.customers', 'int_customers_validated', 'customer_id'),
    ('shop.orders', 'int_orders_validated', 'order_id'),
    ('shop.order_items', 'int_order_items_validated', 'order_item_id'),
    ('payments.payments', 'int_payments_validated', 'payment_id'),
    ('payments.refunds', 'int_refunds_validated', 'refund_id'),
    ('billing.subscriptions', 'int_subscriptions_validated', 'subscription_id'),
    ('web.sessions', 'int_sessions_validated', 'session_id'),
    ('web.events', 'int_web_events_validated', 'event_id'),
    ('marketing.ad_spend', 'int_ad_spend_validated', 'ad_spend_id'),
] -%}
{#- Web events are the one large input read from a view (customers, 1M rows, is the other): 100M
    events joined to their sessions at scale 10. A build after an earlier one judges again only the
    events whose verdict can have changed: those delivered since the last complete, passing build
    (the changed-keys floor, see macros/project/changed_keys.sql), those without a key, those of a
    session quarantined now (a session's verdict comes before the event's own), and those
    quarantined before (their session may have arrived or been released). Events are never
    re-delivered, so no other event's verdict moves. The last two sets are usually small and go in
    as literals, which DuckDB pushes below the view's join into the events scan
    (literal_list_or_query).
    The events judged again belong to a few recent sessions, but the view joins them to all 30M:
    DuckDB hashed every session to probe 1M events (2.9 s). A floor on the events' session key,
    the smallest one among them read as a literal, reaches the sessions' scan through the join
    key. The events without a session are read on their own, as a filter `session_id >= floor
    or session_id is null` would not reach it. -#}
{%- set events_rechecked = ['1 = 1'] -%}
{#- (`this` is none in a unit test: every event is judged there.) -#}
{%- if execute and this is not none and not flags.FULL_REFRESH
    and adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- set since_last_build = tally.changed_keys_condition('event_id', 'web.events') -%}
    {%- if since_last_build -%}
        {%- set quarantined_sessions = tally.literal_list_or_query(
            'select session_id from ' ~ ref('int_sessions_validated')
            ~ ' where quarantine_reason is not null and session_id is not null') -%}
        {%- set held_events = tally.literal_list_or_query(
            'select cast(record_id as ' ~ dbt.type_bigint() ~ ') from ' ~ this
            ~ " where source_table = 'web.events' and record_id is not null") -%}
        {#- An empty list is left out: `x in (null)` in the disjunction kept DuckDB from
            pushing the floor into the Parquet scan (all 100M events were read, 5 s). -#}
        {%- set rechecked = [since_last_build] -%}
        {%- if quarantined_sessions != 'null' -%}
            {%- do rechecked.append('session_id in (' ~ quarantined_sessions ~ ')') -%}
        {%- endif -%}
        {%- if held_events != 'null' -%}
            {%- do rechecked.append('event_id in (' ~ held_events ~ ')') -%}
        {%- endif -%}
        {%- set rechecked = '(' ~ rechecked | join(' or ') ~ ')' -%}
        {%- set session_floor = run_query('select min(session_id) from ' ~ ref('int_web_events_validated')
            ~ ' where ' ~ rechecked).columns[0].values()[0] -%}
        {%- set floor = none if session_floor is none else tally.sql_literal(session_floor) -%}
        {%- set events_rechecked = [
            rechecked ~ ' and ' ~ tally.key_at_or_above('session_id', floor),
            rechecked ~ ' and session_id is null',
        ] -%}
    {%- endif -%}
{%- endif %}

with

{% for source_table, model, key in checked %}
{{ model }} as (

    {%- for condition in (events_rechecked if model == 'int_web_events_validated' else ['1 = 1']) %}
    {% if not loop.first %}union all{% endif %}
    select * from {{ ref(model) }}
    where quarantine_reason is not null and {{ condition }}
    {%- endfor %}

),

{% endfor -%}

malformed_emails as (

    select * from {{ ref('int_customers_validated') }}
    where quarantine_reason is null and email is not null and not has_valid_email

),

unioned as (

    {% for source_table, model, key in checked %}
    select
        '{{ source_table }}' as source_table,
        cast({{ model }}.{{ key }} as {{ dbt.type_string() }}) as record_id,
        {{ model }}.quarantine_reason,
        'record' as quarantine_scope,
        {% if source_table == 'web.events' %}1{% else %}{{ model }}.versions_delivered{% endif %} as versions_delivered,
        {{ model }}.loaded_at
    from {{ model }}
    union all
    {% endfor %}
    select
        'shop.customers' as source_table,
        cast(malformed_emails.customer_id as {{ dbt.type_string() }}) as record_id,
        'malformed_email' as quarantine_reason,
        'value' as quarantine_scope,
        malformed_emails.versions_delivered,
        malformed_emails.loaded_at
    from malformed_emails

),

final as (

    select
        cast({{ dbt.concat([
            "unioned.source_table", "':'",
            "coalesce(unioned.record_id, 'null')", "':'",
            "cast(row_number() over (partition by unioned.source_table, unioned.record_id order by unioned.loaded_at, unioned.quarantine_reason) as " ~ dbt.type_string() ~ ")"
        ]) }} as {{ dbt.type_string() }}) as quarantined_row_id,
        cast(unioned.source_table as {{ dbt.type_string() }}) as source_table,
        cast(unioned.record_id as {{ dbt.type_string() }}) as record_id,
        cast(unioned.quarantine_reason as {{ dbt.type_string() }}) as quarantine_reason,
        cast(unioned.quarantine_scope as {{ dbt.type_string() }}) as quarantine_scope,
        cast(unioned.versions_delivered as integer) as versions_delivered,
        cast(unioned.loaded_at as timestamp) as loaded_at
    from unioned

)

select * from final
