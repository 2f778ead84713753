{#- Incremental (dbt_project.yml): a run rewrites the rows loaded since the high-water mark less
    the look-back, reading them at or above the smallest such key, a literal the engine pushes
    through staging's window into the scan (see macros/project/incremental_window.sql). A row's
    verdict and rate come from the row itself and from reference data, which needs a
    --full-refresh; a new delivery that is quarantined leaves the fact through the post-hook. -#}
-- depends_on: {{ ref('int_ad_spend_validated') }}
{%- if is_incremental() %}
    {#- (A table built before it had the column has no mark: the run rewrites every row.) -#}
    {%- set mark = tally.incremental_mark('source_loaded_at') if tally.relation_has_column(this, 'source_loaded_at') else none %}
    {%- set floor = tally.changed_key_floor([
        tally.raw_changes_of('stg_marketing__ad_spend')
            or (ref('int_ad_spend_validated'), 'ad_spend_id', 'loaded_at'),
    ], mark) %}
{%- endif %}
with

ad_spend as (

    select * from {{ ref('int_ad_spend_converted_to_usd') }}
    {%- if is_incremental() and mark is not none %}
    where {{ tally.key_at_or_above('ad_spend_id', floor) }} and loaded_at > {{ mark }}
    {%- endif %}

),

final as (

    select
        cast(ad_spend_id as bigint) as ad_spend_id,
        cast(spend_date as date) as spend_date,
        cast(marketing_channel as {{ dbt.type_string() }}) as marketing_channel,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(spend_local as decimal(18, 2)) as spend_local,
        cast(spend_usd as decimal(18, 2)) as spend_usd,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(loaded_at as timestamp) as source_loaded_at
    from ad_spend

)

select * from final
