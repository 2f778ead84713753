"""Every number on every board agrees with MetricFlow, and every board is clean under tally check.

The comparison itself lives in tools/warehouse/verify.py, which `make build` also runs before it
publishes; this test runs it on the tiny warehouse and adds what only a test can insist on: that
every chart's value column is checked and that each board shows the metrics it promises.

Each board query runs (its `{{ queries.X }}` expanded as dct expands them) on the tiny warehouse,
and each column is read by its name:

    month / year              the period of the row: MetricFlow's metric_time at that grain
    shipping_country_code     a dimension the row is sliced by (DIMENSIONS below)
    <metric>                  the metric's value for the row's period (and slice)
    <metric>__mom             change from the month before: value / previous month's value - 1
    <metric>__mom_pts         the same in percentage points: (value - previous) * 100
    metric + value            a long table: `value` is the metric named in `metric` on that row

and compared with MetricFlow's own answer (MetricRunner): exact for counts, to the cent for
money, 1e-9 relative for ratios. Any other column must not be a number, so nothing a board
shows goes unchecked; every chart's value column must be one of the columns above.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from warehouse import boards, paths
from warehouse.metrics import MetricRunner
from warehouse.verify import Answers, Comparison, chart_value_columns, check_query, labelled_metrics, run_query

BIN = Path(sys.executable).parent
BOARDS = boards.board_files()
# What each board is for: these metrics must be on it (and so compared).
PROMISED = {
    "executive_kpis": {"net_revenue", "orders", "customers", "average_order_value", "mrr", "conversion_rate"},
    "finance_revenue": {"gross_revenue", "refunds", "net_revenue", "cumulative_gross_revenue", "mrr",
                        "active_subscriptions", "churn_rate"},
    "growth_funnel": {"sessions", "add_to_cart_sessions", "checkout_sessions", "purchase_sessions",
                      "new_customers", "ad_spend", "cac", "roas", "conversion_rate"},
}


# --- the tests -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def answers(tiny_warehouse):
    runner = MetricRunner(tiny_warehouse.target_dir / "semantic_manifest.json", tiny_warehouse.database)
    yield Answers(runner)
    runner.close()


@pytest.fixture(scope="module")
def board_connection(tiny_warehouse):
    connection = duckdb.connect(str(tiny_warehouse.database), read_only=True)
    yield connection
    connection.close()


def test_there_are_boards():
    names = {board.stem for board in BOARDS}
    assert {"executive_kpis", "finance_revenue", "growth_funnel"} <= names, f"boards found: {sorted(names)}"


@pytest.mark.parametrize("board", BOARDS, ids=lambda p: p.stem)
def test_board_numbers_agree_with_metricflow(board, answers, board_connection):
    metrics = set(answers.runner.metric_names())
    manifest = yaml.safe_load((answers.runner.semantic_manifest).read_text())
    labels = {m["label"].lower(): m["name"] for m in manifest["metrics"] if m.get("label")}
    labels.update({name.lower(): name for name in metrics})

    queries = boards.board_queries(board)
    assert queries, f"{board.name} has no SQL queries"
    drawn = chart_value_columns(board)
    covered: dict[str, Comparison] = {}
    failures: list[str] = []
    unchecked: list[str] = []
    for name, sql in queries.items():
        columns, rows = run_query(board_connection, sql)
        assert rows, f"{board.name}:{name} returned no rows on the tiny warehouse"
        comparisons, loose = check_query(board.stem, name, columns, rows, answers, metrics)
        unchecked += loose
        for metric, comparison in comparisons.items():
            covered.setdefault(metric, Comparison(board.stem, name, metric)).rows += comparison.rows
            failures += comparison.failures
        checkable = set(comparisons) | {c for c in columns if c in metrics}
        for column in drawn.get(name, set()) - {"*"}:
            assert column in columns, f"{board.name}: a chart draws {column!r}, which {name} does not return"
            is_text = all(isinstance(row[columns.index(column)], (str, dt.date, type(None))) for row in rows)
            assert column in checkable or (column == "value" and "metric" in columns) or is_text, (
                f"{board.name}: a chart draws {name}.{column}, a number not named after a metric"
            )

    assert not failures, f"{len(failures)} board numbers disagree with MetricFlow:\n" + "\n".join(failures[:40])
    assert not unchecked, "numbers no metric accounts for (name the column after its metric): " + ", ".join(unchecked)
    shown = labelled_metrics(board, labels) | PROMISED.get(board.stem, set())
    missing = shown - set(covered)
    assert not missing, f"{board.name} should show {sorted(missing)}, but no column of that name was compared"
    assert all(c.rows for c in covered.values())


def test_a_query_name_means_the_same_sql_on_every_board():
    """Boards share a metric by sharing its query (revenue_by_month, ...), word for word."""
    first_seen: dict[str, tuple[str, str]] = {}
    for board in BOARDS:
        for name, sql in boards.board_queries(board).items():
            if name not in first_seen:
                first_seen[name] = (board.name, sql)
                continue
            other, other_sql = first_seen[name]
            assert sql == other_sql, f"query {name!r} differs between {other} and {board.name}: copy one to the other"


def test_boards_are_clean_under_tally_check(tiny_warehouse):
    """`tally check` on the boards, against the tiny warehouse's manifest: no finding at all.

    The conversion-rate columns carry `-- tally: ignore[MC010] because ...` (the SQL reproduces
    MetricFlow's conversion join, which the numbers test above proves), and the cumulative
    query `ignore[MC006]` (MetricFlow runs it over the dim_dates spine); nothing else is suppressed.
    """
    completed = subprocess.run(
        [str(BIN / "tally"), "check", "--no-parse", "--no-models", "--format", "json",
         "--target-path", str(tiny_warehouse.target_dir), *[str(b.relative_to(paths.ROOT)) for b in BOARDS]],
        cwd=paths.ROOT, env=tiny_warehouse.env, capture_output=True, text=True,
    )
    assert completed.returncode in (0, 1), f"tally could not run:\n{completed.stdout}{completed.stderr}"
    report = json.loads(completed.stdout)
    findings = [f"{f['path']}:{f['line']}:{f['col']} {f['code']} {f['message']}" for f in report["findings"]]
    assert not findings, "tally check found problems in the boards:\n" + "\n".join(findings)
    queries = sum(len(boards.board_queries(board)) for board in BOARDS)
    assert report["summary"]["units_checked"] >= queries, f"tally checked {report['summary']} of {queries} queries"
    assert completed.returncode == 0
