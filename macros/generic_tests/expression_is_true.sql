{# A boolean SQL expression holds for every row (optionally only rows matching `where`,
   through the test's standard `where` config). When applied to a column, the expression is
   appended to the column name, e.g. `expression: ">= 0"`. #}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not ({% if column_name is not none %}{{ column_name }} {% endif %}{{ expression }})
{% endtest %}
