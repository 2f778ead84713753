{# No two different rows claim to be the same version of a record: same key and same version
   marker (a CDC log position, a load time) but different content. Exact re-deliveries pass.
   A conflict means the source sent two truths for one version; picking one would be a guess,
   so the build fails and names the keys. Only repeated versions (repeated_values) are
   fingerprinted, so the test stays one pass over the table. (The model is wrapped in a
   subquery: with a `where` config dbt passes a subquery that already carries an alias.) #}
{% test no_conflicting_versions(model, key, version_by) %}
with

repeated as (

    {{ tally.repeated_values(model, [[key, 'record_key'], [version_by, 'version']], 'times_delivered', key ~ ' is not null') }}

),

deliveries as (

    select
        repeated.record_key,
        repeated.version,
        {{ tally.row_fingerprint('delivered') }} as fingerprint
    from (select * from {{ model }}) as delivered
    inner join repeated
        on
            delivered.{{ key }} = repeated.record_key
            and delivered.{{ version_by }} = repeated.version

)

select
    record_key,
    version,
    count(distinct fingerprint) as different_contents
from deliveries
group by record_key, version
having count(distinct fingerprint) > 1
{% endtest %}
