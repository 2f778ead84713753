{# The combination of several columns is unique in the model: the grain of a table whose key
   spans columns (a currency and a day). Fails with one row per duplicated combination. #}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set columns = [] -%}
{%- for column in combination_of_columns -%}{%- do columns.append([column, column]) -%}{%- endfor -%}
{{ tally.repeated_values(model, columns, 'occurrences') }}
{% endtest %}
