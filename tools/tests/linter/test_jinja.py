"""tally renders a model's Jinja itself when dbt has not compiled it: dbt's cross-database
macros must come out as SQL that keeps its meaning, not as the NULL an unknown macro becomes."""

import sqlglot
from sqlglot import exp

from tally.inputs.artifacts import project_vars
from tally.inputs.jinja import ProjectMacros, render_dbt_sql


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


def _macro(package: str, sql: str) -> dict:
    name = sql.split("macro ", 1)[1].split("(", 1)[0].strip()
    return {"name": name, "package_name": package, "macro_sql": sql}


def _render_with(macros: list[dict], sql: str, root: str = "shop") -> str:
    project_macros = ProjectMacros({f"macro.{m['package_name']}.{m['name']}": m for m in macros}, root)
    return render_dbt_sql(sql, lambda name: f"marts.{name}", lambda source, table: f"{source}.{table}",
                          macros=project_macros)


SELECT_IN_RANGES = _macro("shop", """{% macro select_in_ranges(relation, ranges) -%}
    {%- set selects = [] -%}
    {%- for range in ranges -%}{%- do selects.append('select * from ' ~ relation ~ ' where ' ~ range) -%}{%- endfor -%}
    {{ return(selects | join(' union all ')) }}
    this text is never reached
{%- endmacro %}""")


def test_a_project_macro_runs_and_returns_its_value():
    """A model whose CTE is a project macro keeps its columns: as NULL it lost every one."""
    sql = _render_with([SELECT_IN_RANGES], (
        "{% set in_range = ['1 = 1'] %}"
        "with orders as ({{ shop.select_in_ranges(ref('int_orders'), in_range) }})"
        " select order_id, amount from orders"))
    assert "select * from marts.int_orders where 1 = 1" in sql
    assert "never reached" not in sql and "(select null)" not in sql
    assert [c.name for c in sqlglot.parse_one(sql, dialect="duckdb").find_all(exp.Column)] == ["order_id", "amount"]


def test_project_macros_render_as_at_parse_time():
    """`execute` and is_incremental() are false, as in dbt's parse: the full-refresh query."""
    floor = _macro("shop", """{% macro floor(key) -%}
        {%- if not execute -%}{{ return(none) }}{%- endif -%}
        {{ return(run_query('select min(' ~ key ~ ') from t').columns[0].values()[0]) }}
    {%- endmacro %}""")
    sql = _render_with([floor], (
        "select * from {{ ref('orders') }}"
        "{% if is_incremental() %} where order_id >= {{ shop.floor('order_id') }}{% endif %}"
        " {{ 'where 1 = 0' if shop.floor('order_id') is not none }}"))
    assert sql.strip() == "select * from marts.orders"


def test_root_macros_by_name_and_package_macros_calling_each_other():
    inner = _macro("helpers", "{% macro cents(column) %}{{ column }} / 100{% endmacro %}")
    outer = _macro("helpers", "{% macro dollars(column) %}round({{ cents(column) }}, 2){% endmacro %}")
    root = _macro("shop", "{% macro amount() %}{{ helpers.dollars('amount_cents') }}{% endmacro %}")
    sql = _render_with([inner, outer, root], "select {{ amount() }} as amount from {{ ref('orders') }}")
    assert sql == "select round(amount_cents / 100, 2) as amount from marts.orders"


def test_a_failing_or_unknown_macro_renders_as_null_and_the_rest_renders():
    broken = _macro("shop", "{% macro broken() %}{{ 1 / 0 }}{% endmacro %}")
    sql = _render_with([broken], (
        "select {{ shop.broken() }} as a, {{ shop.missing() }} as b, {{ broken() }} as c"
        " from {{ ref('orders') }}"))
    assert sql == "select (select null) as a, (select null) as b, (select null) as c from marts.orders"


def test_adapter_and_dbt_macros_are_not_run():
    """dbt's own macros (adapter dispatch, materializations) stay ours: dbt.date_trunc renders as SQL."""
    dbt_macro = _macro("dbt", "{% macro date_trunc(datepart, date) %}{{ adapter.dispatch('x')() }}{% endmacro %}")
    sql = _render_with([dbt_macro], "select {{ dbt.date_trunc('month', 'd') }} as m from {{ ref('orders') }}")
    assert sql == "select date_trunc('month', d) as m from marts.orders"


def test_adapter_dispatch_picks_the_adapter_or_default_implementation():
    dispatching = _macro("shop", "{% macro money(scale) %}{{ return(adapter.dispatch('money', 'shop')(scale)) }}{% endmacro %}")
    default = _macro("shop", "{% macro default__money(scale) %}decimal(18, {{ scale }}){% endmacro %}")
    duckdb = _macro("shop", "{% macro duckdb__money(scale) %}decimal(38, {{ scale }}){% endmacro %}")
    sql = "select cast(x as {{ shop.money(2) }}) as x from {{ ref('orders') }}"
    assert _render_with([dispatching, default], sql) == "select cast(x as decimal(18, 2)) as x from marts.orders"
    assert _render_with([dispatching, default, duckdb], sql) == "select cast(x as decimal(38, 2)) as x from marts.orders"


def test_without_dispatch_a_dispatched_macro_stays_opaque():
    """For the portability check: dbt renders each engine's own implementation there."""
    dispatching = _macro("shop", "{% macro matches(x) %}{{ return(adapter.dispatch('matches', 'shop')(x)) }}{% endmacro %}")
    duckdb = _macro("shop", "{% macro duckdb__matches(x) %}regexp_full_match({{ x }}, 'a'){% endmacro %}")
    sql = "select {{ shop.matches('email') }} as ok from {{ ref('customers') }}"
    project_macros = ProjectMacros({m["name"]: m for m in (dispatching, duckdb)}, "shop")
    rendered = render_dbt_sql(sql, lambda name: f"marts.{name}", lambda s, t: f"{s}.{t}",
                              macros=project_macros, dispatch=False)
    assert rendered == "select (select null) as ok from marts.customers"


def test_project_vars_are_the_global_and_the_project_scoped_ones(tmp_path):
    (tmp_path / "dbt_project.yml").write_text(
        "name: shop\nvars:\n  lookback_days: 3\n  currencies: {USD: 2, JPY: 0}\n"
        "  shop: {lookback_days: 5, tail: 10}\n  other_package: {tail: 99}\n")
    assert project_vars(tmp_path, "shop") == {
        "lookback_days": 5, "currencies": {"USD": 2, "JPY": 0}, "tail": 10, "other_package": {"tail": 99}}
    sql = render_dbt_sql("select {{ var('lookback_days') }} as d", lambda n: n, lambda s, t: t,
                         variables=project_vars(tmp_path, "shop"))
    assert sql == "select 5 as d"


def test_project_vars_of_a_missing_or_broken_project_file_are_empty(tmp_path):
    assert project_vars(tmp_path, "shop") == {}
    (tmp_path / "dbt_project.yml").write_text("name: shop\nvars: [unclosed\n")
    assert project_vars(tmp_path, "shop") == {}
    (tmp_path / "dbt_project.yml").write_text("- a list, not a mapping\n")
    assert project_vars(tmp_path, "shop") == {}


def test_macros_that_call_themselves_render_as_null_without_hanging():
    by_name = _macro("shop", "{% macro twice(n) %}{{ twice(n) }}{{ twice(n) }}{% endmacro %}")
    ping = _macro("shop", "{% macro ping() %}{{ shop.pong() }}{{ shop.pong() }}{% endmacro %}")
    pong = _macro("shop", "{% macro pong() %}{{ shop.ping() }}{{ shop.ping() }}{% endmacro %}")
    for call in ("twice(1)", "shop.ping()"):
        sql = _render_with([by_name, ping, pong], f"select {{{{ {call} }}}} as x from {{{{ ref('orders') }}}}")
        assert sql.startswith("select (select null)") and sql.endswith(" as x from marts.orders"), call
        # bounded work: 2 ** 20 NULLs (13 MB) at the depth bound alone
        assert len(sql) < 100_000, (call, len(sql))
