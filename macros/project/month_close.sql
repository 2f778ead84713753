{# When the books of the month a date falls in close: the first day of the next month plus
   var('tally_month_close_days'). A record that first arrives after its month closed does not
   restate the closed month; it is quarantined for finance to post as an adjustment. #}
{% macro month_closes_at(date_expression) -%}
    {{ return(adapter.dispatch('month_closes_at', 'tally')(date_expression)) }}
{%- endmacro %}

{% macro default__month_closes_at(date_expression) -%}
    {{ dbt.dateadd(
        'day',
        var('tally_month_close_days'),
        dbt.dateadd('month', 1, dbt.date_trunc('month', date_expression))
    ) }}
{%- endmacro %}
