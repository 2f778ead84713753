{# The combination of several columns is unique in the model: the grain of a table whose key
   spans columns (a currency and a day). Fails with one row per duplicated combination. #}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set columns = combination_of_columns | join(', ') -%}
select {{ columns }}, count(*) as occurrences
from {{ model }}
group by {{ columns }}
having count(*) > 1
{% endtest %}
