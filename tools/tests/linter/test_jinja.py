"""tally renders a model's Jinja itself when dbt has not compiled it: dbt's cross-database
macros must come out as SQL that keeps its meaning, not as the NULL an unknown macro becomes."""

import sqlglot
from sqlglot import exp

from tally.inputs.jinja import render_dbt_sql


def _render(sql: str) -> str:
    return render_dbt_sql(sql, lambda name: f"marts.{name}", lambda source, table: f"{source}.{table}")


def test_cross_database_macros_render_as_sql():
    sql = _render(
        "select cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,"
        " {{ dbt.dateadd('day', -7, 'order_date') }} as week_before,"
        " {{ dbt.datediff('placed_at', 'shipped_at', 'day') }} as days_to_ship,"
        " cast(order_id as {{ dbt.type_string() }}) as order_key,"
        " {{ dbt.safe_cast('amount', dbt.type_numeric()) }} as amount"
        " from {{ ref('fct_orders') }}"
    )
    tree = sqlglot.parse_one(sql, dialect="duckdb")
    trunc = tree.find(exp.DateTrunc, exp.TimestampTrunc)
    assert trunc is not None and trunc.find(exp.Column).name == "order_date"
    assert tree.find(exp.Interval) is not None
    assert tree.find(exp.DateDiff) is not None
    assert tree.find(exp.TryCast) is not None
    assert "null" not in sql.lower()


def test_an_unknown_macro_still_renders_as_null():
    sql = _render("select {{ dbt.no_such_macro('x') }} as x from {{ ref('fct_orders') }}")
    assert "(select null)" in sql
