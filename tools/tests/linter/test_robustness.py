"""No traceback, ever: every input yields findings, a clear parse/read finding, or nothing.

The real command line (`tally.cli.main`, and once as a subprocess) is run on a corpus written
to a temporary folder: empty and binary files, invalid UTF-8, 2,000-line queries, dbt Jinja
(balanced and not), dialect quirks, DDL and DML, broken boards. Each run must end with exit 0
or 1 and, for input tally cannot use, a PE001 (parse error) or PE002 (unreadable input)
finding. Exit 2 is for tool-level problems only (no manifest, a corrupt manifest, a broken
[tool.tally]) and comes with a one-line reason. "Traceback" and "internal error" never appear.

The project's shared analysis takes a second to build; the in-process runs build it once per
session and reuse it (everything else, from collecting the file to rendering the report, runs
for real on every file). The subprocess runs build it themselves.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tally import cli
import tally.commands.check as check_command

ROOT = Path(__file__).resolve().parents[3]
TALLY = [sys.executable, "-m", "tally"]

PARSE_ERROR, UNREADABLE, CLEAN_PARSE, ANY = "PE001", "PE002", "parses", "any"


# --- the corpus -----------------------------------------------------------------------------------


def _cte_chain(lines: int) -> str:
    """A 2,000-line query: a chain of CTEs over fct_orders, each reading the one before."""
    parts = ["with step_0 as (", "    select order_id, customer_id, order_date, gross_revenue_usd,",
             "           is_test_account, is_cancelled", "    from marts.fct_orders", ")"]
    index = 0
    while len(parts) < lines - 8:
        index += 1
        parts += [
            f", step_{index} as (",
            "    select order_id, customer_id, order_date,",
            f"           gross_revenue_usd + {index % 7} - {index % 7} as gross_revenue_usd,",
            "           is_test_account, is_cancelled",
            f"    from step_{index - 1}",
            f"    where order_id is not null or {index} = {index}",
            ")",
        ]
    parts += [
        "select date_trunc('month', order_date) as month,",
        "       sum(gross_revenue_usd) as gross_revenue",
        f"from step_{index}",
        "where not is_test_account and not is_cancelled",
        "group by 1",
        "order by 1",
    ]
    return "\n".join(parts) + "\n"


def _huge_in_list(lines: int) -> str:
    values = ",\n".join(f"    'ORD-{i:06d}'" for i in range(lines))
    return f"select count(*) as order_rows\nfrom marts.fct_orders\nwhere order_id in (\n{values}\n)\n"


def _deep_nesting(depth: int) -> str:
    """Subqueries nested `depth` deep, one line each way."""
    opening = "\n".join(f"{'  ' * i}select * from (" for i in range(depth))
    inner = f"{'  ' * depth}select gross_revenue_usd from marts.fct_orders"
    closing = "\n".join(f"{'  ' * (depth - i - 1)}) as level_{depth - i}" for i in range(depth))
    return f"{opening}\n{inner}\n{closing}\n"


def _deep_parentheses(depth: int) -> str:
    return "select " + "(" * depth + "1" + ")" * depth + " as one\n"


def _long_arithmetic(terms: int) -> str:
    body = "\n  + ".join(f"gross_revenue_usd * {i}" for i in range(terms))
    return f"select sum(\n  {body}\n) as weird\nfrom marts.fct_orders\n"


def _union_of(branches: int) -> str:
    return "\nunion all\n".join(
        f"select {i} as n, sum(gross_revenue_usd) as gross_revenue from marts.fct_orders where not is_test_account"
        for i in range(branches)
    ) + "\n"


def _many_joins(joins: int) -> str:
    lines = ["select count(*) as order_rows", "from marts.fct_orders as o0"]
    for i in range(1, joins):
        lines.append(f"join marts.fct_orders as o{i} on o{i}.order_id = o{i - 1}.order_id")
    return "\n".join(lines) + "\n"


def _case_ladder(branches: int) -> str:
    whens = "\n".join(f"    when order_id = 'ORD-{i}' then {i}" for i in range(branches))
    return f"select sum(case\n{whens}\n    else 0 end) as coded\nfrom marts.fct_orders\n"


SQL_CORPUS: dict[str, tuple[bytes, str]] = {
    # --- nothing, or not text --------------------------------------------------------------
    "empty.sql": (b"", ANY),
    "whitespace.sql": (b"  \n\t\n   \r\n\n", ANY),
    "comments_only.sql": (b"-- nothing to see\n/* a block\n   comment */\n-- the end\n", ANY),
    "semicolons_only.sql": (b";;;\n;\n", ANY),
    "random_bytes.sql": (random.Random(7).randbytes(4096), UNREADABLE),
    "random_bytes_no_nul.sql": (bytes(b for b in random.Random(8).randbytes(4096) if b), UNREADABLE),
    "nul_bytes.sql": (b"select\x00 1 as one\x00\x00", UNREADABLE),
    "invalid_utf8.sql": (b"select '\xff\xfe\xfd' as junk from marts.fct_orders", UNREADABLE),
    "latin1.sql": ("select 'café' as caf\xe9".encode("latin-1"), UNREADABLE),
    "utf16.sql": ("select 1 as one".encode("utf-16"), UNREADABLE),
    "utf8_bom.sql": (b"\xef\xbb\xbfselect count(*) as order_rows from marts.fct_orders", CLEAN_PARSE),
    "control_chars.sql": (b"select \x01\x02\x1b[31m 1 \x7f as one", ANY),
    "unicode_identifiers.sql": ('select 1 as "😀", \'日本語\' as "名前", \'\u202e\' as rtl'.encode(), ANY),
    "crlf.sql": (b"select\r\n  count(*) as order_rows\r\nfrom marts.fct_orders\r\n", CLEAN_PARSE),
    "lone_cr.sql": (b"select\r  count(*) as order_rows\rfrom marts.fct_orders\r", ANY),
    # --- big ---------------------------------------------------------------------------------
    "cte_chain_2000_lines.sql": (_cte_chain(2000).encode(), ANY),
    "in_list_2000_lines.sql": (_huge_in_list(2000).encode(), ANY),
    "deep_subqueries.sql": (_deep_nesting(150).encode(), ANY),
    "deeper_subqueries.sql": (_deep_nesting(400).encode(), PARSE_ERROR),
    "cte_chain_5000_lines.sql": (_cte_chain(5000).encode(), ANY),
    "deep_parentheses.sql": (_deep_parentheses(2000).encode(), ANY),
    "long_arithmetic.sql": (_long_arithmetic(500).encode(), ANY),
    "union_300.sql": (_union_of(300).encode(), ANY),
    "joins_120.sql": (_many_joins(120).encode(), ANY),
    "case_600.sql": (_case_ladder(600).encode(), ANY),
    "one_long_line.sql": (("select " + ", ".join(f"{i} as c{i}" for i in range(5000))).encode(), ANY),
    # --- broken SQL ----------------------------------------------------------------------------
    "just_select.sql": (b"select", ANY),
    "select_from.sql": (b"select from", ANY),
    "unclosed_paren.sql": (b"select sum(gross_revenue_usd as revenue from marts.fct_orders", PARSE_ERROR),
    "unclosed_cte.sql": (b"with x as (\n  select 1\n", PARSE_ERROR),
    "unterminated_string.sql": (b"select 'abc as x from marts.fct_orders", PARSE_ERROR),
    "unterminated_comment.sql": (b"select 1 /* never closed", ANY),
    "unterminated_quoted_identifier.sql": (b'select "abc from t', PARSE_ERROR),
    "keywords_soup.sql": (b"from where group by having order by limit", PARSE_ERROR),
    "closing_parens.sql": (b")))))", PARSE_ERROR),
    "case_without_end.sql": (b"select case when 1 = 1 then 2 from marts.fct_orders", PARSE_ERROR),
    "lonely_operator.sql": (b"select 1 + from marts.fct_orders", ANY),
    "prose.sql": (b"Dear team, the revenue numbers look off again. Can someone check? Thanks!", PARSE_ERROR),
    "python.sql": (b"import os\nprint(os.listdir('.'))\n", PARSE_ERROR),
    "json.sql": (b'{"select": [1, 2, 3], "from": null}', ANY),
    # --- dbt Jinja -----------------------------------------------------------------------------
    "jinja_ref.sql": (
        b"select date_trunc('month', order_date) as month, sum(gross_revenue_usd) as gross_revenue\n"
        b"from {{ ref('fct_orders') }}\n"
        b"{% if var('only_real', true) %}where not is_test_account and not is_cancelled{% endif %}\n"
        b"group by 1\n",
        CLEAN_PARSE,
    ),
    "jinja_source.sql": (b"select * from {{ source('shop', 'orders') }}", ANY),
    "jinja_unknown_macro.sql": (b"select {{ dbt_utils.star(ref('fct_orders')) }} from {{ ref('fct_orders') }}", ANY),
    "jinja_unknown_ref.sql": (b"select * from {{ ref('no_such_model') }}", ANY),
    "jinja_config_block.sql": (
        b"{{ config(materialized='table') }}\n{% set cols = ['order_id', 'customer_id'] %}\n"
        b"select {% for c in cols %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}\n"
        b"from {{ ref('fct_orders') }}\n",
        CLEAN_PARSE,
    ),
    "jinja_comment_and_raw.sql": (b"{# a comment #}\n{% raw %}select '{{ not jinja }}' as x{% endraw %}\n", ANY),
    "jinja_unbalanced_expression.sql": (b"select * from {{ ref('fct_orders') ", ANY),
    "jinja_unbalanced_block.sql": (b"{% if true %}\nselect 1 as one\n", ANY),
    "jinja_stray_end.sql": (b"select 1 as one\n{% endif %}\n{% endfor %}\n", ANY),
    "jinja_only_open.sql": (b"{{", ANY),
    "jinja_only_block_open.sql": (b"{%", ANY),
    "jinja_zero_division.sql": (b"select {{ 1 / 0 }} as boom", ANY),
    "jinja_type_error.sql": (b"select {{ 'a' + 1 }} as boom", ANY),
    "jinja_recursive_macro.sql": (b"{% macro m() %}{{ m() }}{% endmacro %}select {{ m() }} as boom", ANY),
    "jinja_huge_range.sql": (b"{% for i in range(10**12) %}{{ i }}{% endfor %}select 1 as one", ANY),
    "jinja_sandbox_escape.sql": (b"select '{{ ''.__class__.__mro__[1].__subclasses__() }}' as x", ANY),
    "jinja_include.sql": (b"{% include 'other.sql' %}\nselect 1 as one", ANY),
    "jinja_import.sql": (b"{% import 'macros.sql' as m %}\nselect {{ m.x() }} as one", ANY),
    "jinja_extends.sql": (b"{% extends 'base.sql' %}", ANY),
    "jinja_exceptions.sql": (b"{{ exceptions.raise_compiler_error('nope') }}select 1 as one", ANY),
    "jinja_do_return.sql": (b"{% do return(none) %}select 1 as one", ANY),
    "jinja_env_var.sql": (b"select '{{ env_var('NO_SUCH_VARIABLE_ANYWHERE', 'x') }}' as v, {{ var('n') }} as n", ANY),
    "jinja_this_target.sql": (b"select '{{ this }}' as t, '{{ target.name }}' as n, {{ is_incremental() }} as i", ANY),
    "jinja_filter_helpers.sql": (b"select 1 as one where {{ filter('region') }}", ANY),
    # --- dialect quirks ------------------------------------------------------------------------
    "duckdb_qualify.sql": (
        b"select order_id, customer_id from marts.fct_orders\n"
        b"qualify row_number() over (partition by customer_id order by order_date desc) = 1\n",
        CLEAN_PARSE,
    ),
    "duckdb_casts.sql": (
        b"select order_date::date as d, '1'::int + 1 as n, gross_revenue_usd::decimal(18,2) as r from "
        b"marts.fct_orders",
        CLEAN_PARSE,
    ),
    "duckdb_exclude_replace.sql": (
        b"select * exclude (customer_id) replace (gross_revenue_usd * 2 as gross_revenue_usd) from marts.fct_orders",
        CLEAN_PARSE,
    ),
    "duckdb_lists_structs.sql": (
        b"select [1, 2, 3] as l, {'a': 1, 'b': [2]} as s, list_value(1, 2)[1] as first, [x * 2 for x in [1, 2]] as c",
        ANY,
    ),
    "duckdb_from_first.sql": (b"from marts.fct_orders select count(*) as order_rows", ANY),
    "duckdb_group_by_all.sql": (
        b"select customer_id, sum(gross_revenue_usd) as gross_revenue from marts.fct_orders group by all",
        CLEAN_PARSE,
    ),
    "duckdb_pivot.sql": (b"pivot marts.fct_orders on order_status using sum(gross_revenue_usd)", ANY),
    "duckdb_table_functions.sql": (
        b"select * from read_parquet('nowhere/*.parquet') join generate_series(1, 10) as g(n) on true, "
        b"unnest([1, 2]) as u(x)",
        ANY,
    ),
    "duckdb_positional_params.sql": (
        b"select * from marts.fct_orders where order_id = $1 or customer_id = ? or order_id = $name",
        ANY,
    ),
    "postgres_ilike_distinct_on.sql": (
        b"select distinct on (customer_id) customer_id, order_id from marts.fct_orders\n"
        b"where order_status ilike '%cancel%' order by customer_id, order_date desc\n",
        ANY,
    ),
    "postgres_filter_clause.sql": (
        b"select count(*) filter (where not is_test_account) as orders from marts.fct_orders",
        CLEAN_PARSE,
    ),
    "spark_backticks_lateral_view.sql": (
        b"select `o`.`order_id`, item from `marts`.`fct_orders` as `o`\nlateral view explode(array(1, 2)) t as item\n",
        ANY,
    ),
    "bigquery_project_table.sql": (
        b"select * from `my-project.marts.fct_orders` where _partitiontime is not null",
        ANY,
    ),
    "tsql_top_brackets.sql": (b"select top 10 [order_id] from [marts].[fct_orders] with (nolock)", ANY),
    "snowflake_variant_path.sql": (b"select payload:items[0].price::number as p from raw.events", ANY),
    "mysql_limit_offset.sql": (b"select * from marts.fct_orders limit 10, 20", ANY),
    "recursive_cte.sql": (
        b"with recursive n(i) as (select 1 union all select i + 1 from n where i < 10) select sum(i) as total from n",
        CLEAN_PARSE,
    ),
    "window_frames.sql": (
        b"select order_date, sum(gross_revenue_usd) over (order by order_date rows between 6 preceding and current row)"
        b" as rolling from marts.fct_orders window w as (partition by customer_id)",
        ANY,
    ),
    "values_only.sql": (b"values (1, 'a'), (2, 'b')", ANY),
    "cte_shadows_mart.sql": (
        b"with fct_orders as (select 1 as gross_revenue_usd) select sum(gross_revenue_usd) as gross_revenue from "
        b"fct_orders",
        CLEAN_PARSE,
    ),
    "self_reference.sql": (b"with a as (select * from a) select * from a", ANY),
    "star_of_unknown.sql": (
        b"select sum(x) as gross_revenue from (select * from nowhere.unknown_table) as t",
        CLEAN_PARSE,
    ),
    "correlated_subquery.sql": (
        b"select o.order_id, (select sum(i.gross_revenue_usd) from marts.fct_orders i "
        b"where i.customer_id = o.customer_id)"
        b" as customer_revenue from marts.fct_orders o",
        CLEAN_PARSE,
    ),
    "aggregate_of_aggregate.sql": (b"select sum(sum(gross_revenue_usd)) as gross_revenue from marts.fct_orders", ANY),
    "aggregate_in_where.sql": (b"select order_id from marts.fct_orders where sum(gross_revenue_usd) > 0", ANY),
    "window_in_aggregate.sql": (b"select sum(row_number() over ()) as n from marts.fct_orders", ANY),
    "nested_window.sql": (
        b"select avg(sum(gross_revenue_usd)) over () as gross_revenue from marts.fct_orders group by customer_id",
        ANY,
    ),
    "lateral_join.sql": (
        b"select o.order_id, l.n from marts.fct_orders o, lateral (select o.gross_revenue_usd * 2 as n) l",
        ANY,
    ),
    "using_natural_join.sql": (
        b"select count(*) as order_rows from marts.fct_orders join marts.dim_customers using (customer_id)"
        b" natural join marts.dim_dates",
        ANY,
    ),
    # --- more than one statement, DDL and DML ----------------------------------------------------
    "multiple_statements.sql": (
        b"select 1 as one;\nselect count(*) as orders from marts.fct_orders;\nselect 3;\n",
        CLEAN_PARSE,
    ),
    "ddl.sql": (
        b"create table scratch.t as select * from marts.fct_orders;\n"
        b"create or replace view scratch.v as select 1 as one;\ndrop table if exists scratch.t;\n"
        b"alter table scratch.t add column x int;\n",
        ANY,
    ),
    "dml.sql": (
        b"insert into scratch.t select * from marts.fct_orders;\n"
        b"update scratch.t set x = 1 where x is null;\ndelete from scratch.t where x = 2;\n"
        b"merge into scratch.t using marts.fct_orders s on t.order_id = s.order_id "
        b"when matched then update set x = 1;\n",
        ANY,
    ),
    "session_commands.sql": (
        b"set threads = 4;\npragma version;\nattach 'x.duckdb' as x;\nuse marts;\nshow tables;\n"
        b"describe marts.fct_orders;\n"
        b"explain select 1;\nbegin;\ncommit;\ncopy marts.fct_orders to 'x.csv';\ninstall httpfs;\nload httpfs;\n",
        ANY,
    ),
    "insert_then_select.sql": (
        b"insert into scratch.t values (1);\nselect sum(gross_revenue_usd) as gross_revenue from marts.fct_orders\n",
        ANY,
    ),
    # --- suppressions gone wrong ---------------------------------------------------------------
    "suppression_junk.sql": (
        b"-- tally: ignore[] because\n-- tally: ignore[ZZ999, , MC] because\n-- tally: ignore[MC002\n"
        b"select sum(gross_revenue_usd) as gross_revenue from marts.fct_orders -- tally: ignore[MC002]\n",
        ANY,
    ),
}


# Boards: text (or bytes) and the outcome expected.
BOARD_CORPUS: dict[str, tuple[str | bytes, str]] = {
    "empty.yml": ("", ANY),
    "comments_only.yml": ("# just a comment\n", ANY),
    "tabs.yml": ("title: Tabs\nqueries:\n\trevenue: select 1\n", UNREADABLE),
    "unclosed_bracket.yml": ("title: Broken\nqueries: [revenue, orders\ncharts: {}\n", UNREADABLE),
    "unclosed_quote.yml": ('title: "Broken\nqueries:\n  q: select 1\n', UNREADABLE),
    "bad_indentation.yml": ("queries:\n  q: select 1\n    oops: [unclosed\n", UNREADABLE),
    "top_level_list.yml": ("- select 1\n- select 2\n", UNREADABLE),
    "top_level_scalar.yml": ("select sum(gross_revenue_usd) from marts.fct_orders\n", UNREADABLE),
    "top_level_number.yml": ("42\n", UNREADABLE),
    "two_documents.yml": ("title: one\n---\ntitle: two\n", UNREADABLE),
    "duplicate_keys.yml": (
        "title: Dupes\ntitle: Dupes again\nqueries:\n  q: select 1 as one\n"
        "  q: select count(*) as orders from marts.fct_orders\n"
        "queries:\n  r: select 2 as two\n",
        ANY,
    ),
    "binary.yml": (random.Random(3).randbytes(2048), UNREADABLE),
    "nul.yml": (b"title: x\x00\nqueries: {}\n", UNREADABLE),
    "invalid_utf8.yml": (b"title: caf\xe9\nqueries:\n  q: select 1\n", UNREADABLE),
    "control_character.yml": ("title: bell \x07\nqueries:\n  q: select 1\n", UNREADABLE),
    "sql_is_a_list.yml": ("queries:\n  q:\n    sql: [select 1, select 2]\n", UNREADABLE),
    "sql_is_a_mapping.yml": ("queries:\n  q:\n    sql: {select: 1}\n", UNREADABLE),
    "sql_is_a_number.yml": ("queries:\n  q:\n    sql: 42\n  r: 3.14\n", UNREADABLE),
    "sql_is_null_or_bool.yml": (
        "queries:\n  q:\n    sql: null\n  r:\n    sql: true\n  s: ~\n  t: 2024-01-01\n",
        UNREADABLE,
    ),
    "queries_is_a_list.yml": ("queries:\n  - select 1\n  - sql: select 2\n", ANY),
    "queries_is_a_string.yml": ("queries: select 1\ncharts: nope\nrows: 7\n", ANY),
    "unknown_chart_types.yml": (
        "queries:\n  q: select count(*) as orders from marts.fct_orders\n"
        "charts:\n"
        "  a: {type: sankey3d, query: q, y: orders}\n"
        "  b: {type: kpi, query: q, value: [orders], label: {text: Orders}}\n"
        "  c: {type: [line, bar], query: [q], y: {a: b}, y_label: [x]}\n"
        "  d: {type: null, query: null}\n"
        "  e: {type: kpi, query: missing_query, value: orders, label: Orders}\n"
        "  f: 12\n",
        ANY,
    ),
    "inline_queries.yml": (
        "charts:\n"
        "  a: {type: line, query: 'select count(*) as orders from marts.fct_orders', y: orders}\n"
        "  b: {type: bar, query: {sql: 'select sum(gross_revenue_usd) as gross_revenue from marts.fct_orders'},"
        " y: gross_revenue}\n"
        "  c: {type: bar, query: {sql: [not, sql]}, y: x}\n"
        "  d: {type: bar, query: 'select (((', y: x}\n",
        ANY,
    ),
    "layout_weirdness.yml": (
        "queries:\n  q: select 1 as one\n"
        "rows:\n  - [[[[[]]]]]\n  - {cols: [{type: kpi, query: q, value: one, label: One}, 3, null, [x]]}\n"
        "  - {grid: {tabs: {a: {b: {c: {type: bar, query: q, y: one}}}}}}\n"
        "tabs: 5\ngrid: null\ncols: 'x'\n",
        ANY,
    ),
    "recursive_alias.yml": (
        "queries:\n  q: select 1 as one\nrows: &loop [*loop, {type: bar, query: q, y: one}]\n",
        ANY,
    ),
    "recursive_alias_mapping.yml": ("queries:\n  q: select 1 as one\ntabs: &m {a: *m, b: [*m]}\n", ANY),
    "aliases_everywhere.yml": (
        "x: &sql select count(*) as orders from marts.fct_orders\nqueries:\n  q: *sql\n  r: {sql: *sql}\n"
        "charts:\n  a: &chart {type: bar, query: q, y: orders}\n  b: *chart\n  c: {<<: *chart, query: r}\n",
        ANY,
    ),
    "complex_keys.yml": ("? [a, b]\n: 1\nqueries:\n  ? {x: 1}\n  : select 1\n  q: select 1 as one\n", ANY),
    "python_tags.yml": ("queries:\n  q: !!python/object/apply:os.system ['echo pwned']\n  r: !custom select 1\n", ANY),
    "jinja_in_board.yml": (
        "queries:\n  base: select * from marts.fct_orders where {{ filter('region') }}\n"
        "  q: |\n    select count(*) as orders from {{ queries.base }} as b\n"
        "    where {{ filter_date_range('order_date') }}\n"
        "  self: select * from {{ queries.self }}\n"
        "  boom: select {{ 1 / 0 }} as x\n"
        "  broken: select {{ queries.base\n"
        "  deep: select {% for i in range(3) %}{% endfor\n",
        ANY,
    ),
    "block_scalars.yml": (
        "queries:\n  a: |\n\n\n  b: >-\n    select\n    1 as one\n"
        "  c: |+\n    select count(*) as orders\n    from marts.fct_orders\n\n\n"
        "  d: |2\n      select 2 as two\n",
        ANY,
    ),
    "broken_sql_in_board.yml": (
        "queries:\n  q: |\n    select sum(gross_revenue_usd as x\n    from marts.fct_orders\n",
        PARSE_ERROR,
    ),
}


def _huge_board(queries: int) -> str:
    lines = ["title: Huge", "queries:"]
    for i in range(queries):
        lines += [f"  q{i}: |", f"    select date_trunc('month', order_date) as month, count(*) as orders_{i}",
                  "    from marts.fct_orders", f"    where order_id <> 'ORD-{i}'", "    group by 1"]
    lines.append("charts:")
    for i in range(queries):
        lines.append(f"  c{i}: {{type: line, query: q{i}, x: month, y: orders_{i}, title: Orders}}")
    lines.append("rows:")
    lines += [f"  - [c{i}]" for i in range(queries)]
    return "\n".join(lines) + "\n"


BOARD_CORPUS["huge.yml"] = (_huge_board(400), ANY)
BOARD_CORPUS["huge_scalar.yml"] = ("title: " + "x" * 2_000_000 + "\n", ANY)

# The big ones are checked once each; the runs over the whole corpus (stdin, every report
# format, a real process) use the rest, to stay fast.
HEAVY = {
    "cte_chain_2000_lines.sql", "cte_chain_5000_lines.sql", "in_list_2000_lines.sql", "deep_subqueries.sql",
    "deeper_subqueries.sql", "deep_parentheses.sql", "long_arithmetic.sql", "union_300.sql", "joins_120.sql",
    "case_600.sql", "one_long_line.sql", "huge.yml", "huge_scalar.yml",
}


def _light(corpus: dict) -> dict:
    return {name: entry for name, entry in corpus.items() if name not in HEAVY}


# --- running the command line ---------------------------------------------------------------------


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def findings(self) -> list[dict]:
        return json.loads(self.stdout)["findings"]


def _no_crash(run: Run) -> None:
    assert "Traceback" not in run.output, run.output[-3000:]
    assert "internal error" not in run.output, run.output[-3000:]


@pytest.fixture(scope="session")
def shared_once():
    """`build_shared`, memoised: the project's analysis is the same for every file checked."""
    built: dict[str, object] = {}
    real = check_command.build_shared

    def build(artifacts, config, **options):  # workers, rules: whatever the command passes
        key = str(artifacts.manifest_path)
        if key not in built:
            built[key] = real(artifacts, config, **options)
        return built[key]

    return build


def _expire(_signum, _frame):
    raise TimeoutError("tally ran for more than 120 s on one input: it hangs")


def _main(*argv: str, stdin: bytes | None = None) -> Run:
    """`tally <argv>` in this process, as the console script runs it (a hang fails the test)."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.alarm(120)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(argv))
            except SystemExit as exc:  # argparse's own usage errors
                code = exc.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        sys.stdin = saved_stdin
    return Run(code, out.getvalue(), err.getvalue())


def _subprocess(*argv: str) -> Run:
    """`tally <argv>` as a user runs it: a new process, nothing shared."""
    env = {k: v for k, v in os.environ.items() if k != "TALLY_DEBUG"}
    completed = subprocess.run([*TALLY, *argv], capture_output=True, text=True, timeout=240,
                               env={**env, "NO_COLOR": "1"})
    return Run(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def tally(tiny_warehouse, shared_once, monkeypatch):
    """Run `tally check ...` in process against the tiny warehouse; returns a Run."""
    monkeypatch.setattr(check_command, "build_shared", shared_once)
    monkeypatch.delenv("TALLY_DEBUG", raising=False)

    def run(*args: str, stdin: bytes | None = None) -> Run:
        return _main("check", "--no-parse", "--project-dir", str(ROOT), "--target-path",
                     str(tiny_warehouse.target_dir), *args, stdin=stdin)

    return run


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _assert_outcome(run: Run, path: Path, expected: str) -> None:
    _no_crash(run)
    assert run.code in (0, 1), f"exit {run.code} for {path.name}:\n{run.output[-2000:]}"
    findings = run.findings()
    codes = {f["code"] for f in findings}
    for finding in findings:
        assert finding["path"].endswith(path.name), finding
        assert finding["line"] >= 1 and finding["col"] >= 1, finding
        assert finding["message"] and "\n" not in finding["message"], finding
    if expected in (PARSE_ERROR, UNREADABLE):
        assert expected in codes, f"{path.name}: expected {expected}, got {sorted(codes)}"
        assert run.code == 1
    elif expected == CLEAN_PARSE:
        assert not codes & {PARSE_ERROR, UNREADABLE}, f"{path.name}: {findings}"
    if UNREADABLE in codes:
        assert codes <= {UNREADABLE}, f"{path.name}: an unreadable file was checked anyway: {sorted(codes)}"


@pytest.mark.parametrize("name", sorted(SQL_CORPUS))
def test_sql_file_never_crashes(name, tally, tmp_path):
    content, expected = SQL_CORPUS[name]
    path = _write(tmp_path, name, content)
    _assert_outcome(tally("--format", "json", str(path)), path, expected)


@pytest.mark.parametrize("name", sorted(BOARD_CORPUS))
def test_board_never_crashes(name, tally, tmp_path):
    content, expected = BOARD_CORPUS[name]
    path = _write(tmp_path, name, content)
    _assert_outcome(tally("--format", "json", str(path)), path, expected)


def test_sql_stdin_never_crashes(tally):
    for name, (content, _expected) in sorted(_light(SQL_CORPUS).items()):
        run = tally("--format", "json", "-", stdin=content)
        _no_crash(run)
        assert run.code in (0, 1), f"{name} on stdin: exit {run.code}\n{run.output[-2000:]}"


def test_sql_with_other_extensions_and_folders(tally, tmp_path):
    """A folder of junk, a file without .sql, a path that does not exist."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name, (content, _expected) in list(SQL_CORPUS.items())[:12]:
        _write(folder, name, content)
    _write(folder, "notes.txt", "not sql at all")
    _write(tmp_path, "query.txt", b"\xff\xfe junk")
    run = tally("--format", "json", str(folder), str(tmp_path / "query.txt"), str(tmp_path / "missing.sql"))
    _no_crash(run)
    assert run.code == 1
    by_path = {}
    for finding in run.findings():
        by_path.setdefault(Path(finding["path"]).name, set()).add(finding["code"])
    assert UNREADABLE in by_path["missing.sql"]
    assert UNREADABLE in by_path["query.txt"]
    assert UNREADABLE in by_path["random_bytes.sql"]


@pytest.mark.parametrize("report", ["text", "json", "sarif", "github", "markdown"])
def test_every_report_renders_the_whole_corpus(report, tally, tmp_path):
    paths = [str(_write(tmp_path, name, content)) for name, (content, _e) in _light(SQL_CORPUS).items()]
    paths += [str(_write(tmp_path, name, content)) for name, (content, _e) in _light(BOARD_CORPUS).items()]
    run = tally("--format", report, "--color", "always", *paths)
    _no_crash(run)
    assert run.code == 1  # the corpus has parse errors and unreadable files
    if report in ("json", "sarif"):
        json.loads(run.stdout)


def test_real_subprocess_on_the_corpus(tiny_warehouse, tmp_path):
    """Once for real, as a user would: one process, every file, text report."""
    paths = [str(_write(tmp_path, name, content)) for name, (content, _e) in _light(SQL_CORPUS).items()]
    paths += [str(_write(tmp_path, name, content)) for name, (content, _e) in _light(BOARD_CORPUS).items()]
    run = _subprocess("check", "--no-parse", "--project-dir", str(ROOT),
                      "--target-path", str(tiny_warehouse.target_dir), *paths)
    _no_crash(run)
    assert run.code == 1, run.output[-2000:]
    assert "PE001" in run.stdout and "PE002" in run.stdout


# --- tool-level errors: exit 2 with a one-line reason ------------------------------------------------


def _assert_tool_error(run: Run, *needles: str) -> None:
    _no_crash(run)
    assert run.code == 2, run.output[-2000:]
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("tally: error: "), run.stderr
    for needle in needles:
        assert needle in run.stderr, run.stderr


def _target_with(tmp_path: Path, tiny_warehouse, manifest: bytes | None = None, semantic: bytes | None = None) -> Path:
    target = tmp_path / "target"
    target.mkdir()
    if manifest is not None:
        (target / "manifest.json").write_bytes(manifest)
    if semantic is not None:
        (target / "semantic_manifest.json").write_bytes(semantic)
    return target


def test_missing_manifest(tmp_path, tiny_warehouse):
    target = _target_with(tmp_path, tiny_warehouse)
    query = _write(tmp_path, "q.sql", "select 1")
    run = _subprocess("check", "--no-parse", "--project-dir", str(ROOT), "--target-path", str(target), str(query))
    _assert_tool_error(run, "no dbt manifest", "dbt parse")
    run = _main("check", "--manifest", str(tmp_path / "nowhere" / "manifest.json"), "--project-dir", str(ROOT),
                str(query))
    _assert_tool_error(run, "no dbt manifest")


def test_not_a_dbt_project(tmp_path):
    run = _main("check", "--no-parse", "--project-dir", str(tmp_path))
    _assert_tool_error(run, "not a dbt project")


CORRUPT_MANIFESTS = {
    "truncated": None,  # the real manifest cut in half
    "empty": b"",
    "binary": random.Random(5).randbytes(512),
    "invalid_utf8": b'{"nodes": {"\xff": 1}}',
    "a_list": b"[1, 2, 3]",
    "a_number": b"42",
    "a_string": b'"manifest"',
    "null": b"null",
    "nodes_is_a_list": b'{"nodes": [], "sources": {}, "metadata": {}}',
    "nodes_is_null": b'{"nodes": null, "metadata": {}}',
    "node_is_a_string": b'{"nodes": {"model.x.y": "oops"}, "metadata": {}}',
    "metadata_is_a_list": b'{"nodes": {}, "metadata": []}',
}


@pytest.mark.parametrize("kind", sorted(CORRUPT_MANIFESTS))
def test_corrupt_manifest(kind, tmp_path, tiny_warehouse):
    content = CORRUPT_MANIFESTS[kind]
    if content is None:
        real = (tiny_warehouse.target_dir / "manifest.json").read_bytes()
        content = real[: len(real) // 2]
    target = _target_with(tmp_path, tiny_warehouse, manifest=content)
    query = _write(tmp_path, "q.sql", "select 1 as one")
    run = _main("check", "--no-parse", "--project-dir", str(ROOT), "--target-path", str(target), str(query))
    _assert_tool_error(run, "manifest")


@pytest.mark.parametrize("content", [b"{not json", b"[]", b"42", b'{"semantic_models": 7, "metrics": "x"}',
                                     b'{"semantic_models": [1, "x"], "metrics": [null]}'])
def test_corrupt_semantic_manifest(content, tmp_path, tiny_warehouse):
    manifest = (tiny_warehouse.target_dir / "manifest.json").read_bytes()
    target = _target_with(tmp_path, tiny_warehouse, manifest=manifest, semantic=content)
    query = _write(tmp_path, "q.sql", "select 1 as one")
    run = _main("check", "--no-parse", "--project-dir", str(ROOT), "--target-path", str(target), str(query))
    _assert_tool_error(run, "semantic manifest")


BROKEN_CONFIGS = {
    "bad_toml": ("[tool.tally\nselect = ['MC'", "not valid TOML"),
    "not_utf8": (b"[tool.tally]\nselect = ['\xff']\n", "cannot read"),
    "unknown_key": ("[tool.tally]\nselekt = ['MC']\n", "unknown key(s): selekt"),
    "unknown_code": ("[tool.tally]\nselect = ['ZZ999']\n", "unknown rule code"),
    "ignored_and_raised": ("[tool.tally]\nignore = ['MC002']\n[tool.tally.severity]\nMC002 = 'warning'\n",
                           "both ignored"),
    "family_ignored_and_raised": ("[tool.tally]\nignore = ['MC']\n[tool.tally.severity]\nMC001 = 'info'\n",
                                  "both ignored"),
    "exception_without_reason": ("[[tool.tally.exceptions.MC002]]\nnode = 'fct_orders'\n", "needs a written reason"),
    "exception_blank_reason": ("[[tool.tally.exceptions.MC002]]\nnode = 'fct_orders'\nreason = '   '\n",
                               "needs a written reason"),
    "exception_without_node": ("[[tool.tally.exceptions.MC002]]\nreason = 'because'\n", "names a node"),
    "bad_severity": ("[tool.tally.severity]\nMC002 = 'fatal'\n", "unknown severity"),
    "select_not_a_list": ("[tool.tally]\nselect = 'MC'\n", "must be a list of strings"),
    "severity_not_a_table": ("[tool.tally]\nseverity = 'error'\n", "severity"),
    "layers_not_a_table": ("[tool.tally]\nlayers = 5\n", "layers"),
    "layer_not_a_table": ("[tool.tally.layers]\nstaging = ['stg_']\n", "layers.staging"),
    "layer_prefixes_not_a_list": ("[tool.tally.layers.staging]\nprefixes = 'stg_'\n", "layers.staging"),
    "layer_unknown_key": ("[tool.tally.layers.staging]\nprefix = ['stg_']\n", "unknown key(s): prefix"),
    "thresholds_not_a_table": ("[tool.tally]\nthresholds = [1, 2]\n", "thresholds"),
    "threshold_negative": ("[tool.tally.thresholds]\nmax_joins = -1\n", "non-negative integer"),
    "threshold_unknown": ("[tool.tally.thresholds]\nmax_jions = 3\n", "unknown threshold"),
    "exceptions_not_a_table": ("[tool.tally]\nexceptions = ['MC002']\n", "exceptions"),
    "exception_not_a_list": ("[tool.tally.exceptions]\nMC002 = 'fct_orders'\n", "must be a list"),
    "exception_entry_not_a_table": ("[tool.tally.exceptions]\nMC002 = ['fct_orders']\n", "exceptions"),
    "tool_tally_not_a_table": ("[tool]\ntally = 3\n", "[tool.tally]"),
    "tool_not_a_table": ("tool = 'tally'\n", "[tool.tally]"),
    "selected_and_ignored": ("[tool.tally]\nselect = ['MC']\nignore = ['MC']\n", "both selected and ignored"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_CONFIGS))
def test_broken_configuration(kind, tmp_path, tiny_warehouse):
    content, reason = BROKEN_CONFIGS[kind]
    config = _write(tmp_path, "pyproject.toml", content)
    query = _write(tmp_path, "q.sql", "select 1 as one")
    run = _main("check", "--no-parse", "--project-dir", str(ROOT), "--target-path", str(tiny_warehouse.target_dir),
                "--config", str(config), str(query))
    _assert_tool_error(run, reason)


def test_broken_configuration_in_a_real_process(tmp_path, tiny_warehouse):
    config = _write(tmp_path, "pyproject.toml",
                    "[tool.tally]\nignore = ['MC002']\n[tool.tally.severity]\nMC002 = 'info'\n")
    query = _write(tmp_path, "q.sql", "select 1 as one")
    run = _subprocess("check", "--no-parse", "--project-dir", str(ROOT),
                      "--target-path", str(tiny_warehouse.target_dir), "--config", str(config), str(query))
    _assert_tool_error(run, "MC002 is both ignored")


@pytest.mark.parametrize("content", [b"{broken", b"[]", b'{"nodes": [1]}',
                                     b'{"nodes": {"model.x": 7}, "sources": null}'])
def test_corrupt_catalog_is_ignored(content, tmp_path, tiny_warehouse, shared_once, monkeypatch):
    """Column types are a bonus: a catalog that cannot be used is dropped, and the check runs."""
    target = _target_with(tmp_path, tiny_warehouse, manifest=(tiny_warehouse.target_dir / "manifest.json").read_bytes(),
                          semantic=(tiny_warehouse.target_dir / "semantic_manifest.json").read_bytes())
    (target / "catalog.json").write_bytes(content)
    query = _write(tmp_path, "q.sql", "select count(*) as order_rows from marts.fct_orders")
    run = _main("check", "--no-parse", "--project-dir", str(ROOT), "--target-path", str(target), str(query))
    _no_crash(run)
    assert run.code in (0, 1), run.output


def test_bad_command_line_values(tmp_path, tiny_warehouse, shared_once, monkeypatch):
    monkeypatch.setattr(check_command, "build_shared", shared_once)
    query = _write(tmp_path, "q.sql", "select 1 as one")
    base = ["check", "--no-parse", "--project-dir", str(ROOT), "--target-path", str(tiny_warehouse.target_dir)]
    _assert_tool_error(_main(*base, "--select", "NOPE", str(query)), "unknown rule code")
    _assert_tool_error(_main(*base, "--config", str(tmp_path / "missing.toml"), str(query)), "missing.toml")
    blocked = tmp_path / "file"
    blocked.write_text("x")
    _assert_tool_error(_main(*base, "--output", str(blocked / "report.txt"), str(query)), "cannot write")
    usage = _main(*base, "--format", "yaml", str(query))
    assert usage.code == 2 and "Traceback" not in usage.output
