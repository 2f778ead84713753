{#- Staging keeps the latest version of each record by its source's ordering (CDC log position,
    load time). Two different rows that tie on that ordering cannot be told apart: staging would
    keep either, and the marts would change from one build to the next. Exact re-deliveries are
    fine. Returns every key and position delivered with conflicting contents. -#}
{%- set checked = [
    ('shop.orders', source('shop', 'orders'), ['id', '_cdc_lsn', '_loaded_at']),
    ('shop.customers', source('shop', 'customers'), ['id', '_loaded_at', 'updated_at']),
    ('shop.order_items', source('shop', 'order_items'), ['id', '_loaded_at']),
    ('payments.payments', source('payments', 'payments'), ['id', '_loaded_at']),
    ('payments.refunds', source('payments', 'refunds'), ['id', '_loaded_at']),
    ('billing.subscriptions', source('billing', 'subscriptions'), ['id', '_loaded_at']),
] -%}

{% for source_table, relation, position in checked %}
select
    '{{ source_table }}' as source_table,
    cast(distinct_rows.id as {{ dbt.type_string() }}) as record_id,
    count(*) as conflicting_rows
from (select distinct * from {{ relation }}) as distinct_rows
where distinct_rows.id is not null
group by {{ 'distinct_rows.' ~ position | join(', distinct_rows.') }}
having count(*) > 1
{% if not loop.last %}union all{% endif %}
{% endfor %}
