"""Numbers agree: every number on every board equals MetricFlow's answer for its metric.

Each board query runs (its `{{ queries.X }}` expanded as dct expands them) on a warehouse file,
and each column is read by its name:

    month / year              the period of the row: MetricFlow's metric_time at that grain
    shipping_country_code     a dimension the row is sliced by (DIMENSIONS below)
    <metric>                  the metric's value for the row's period (and slice)
    <metric>__mom             change from the month before: value / previous month's value - 1
    <metric>__mom_pts         the same in percentage points: (value - previous) * 100
    metric + value            a long table: `value` is the metric named in `metric` on that row

and compared with MetricFlow's own answer (MetricRunner): exact for counts, to the cent for
money, 1e-9 relative for ratios. Any other column must not be a number, so nothing a board shows
goes unchecked. `make build` runs `verify_boards` on the private build before publishing it;
tools/tests/warehouse/test_boards_agree.py runs it on the test warehouse.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import yaml

from warehouse import boards
from warehouse.metrics import MetricRunner

PERIODS = {"month": "month", "year": "year"}
DIMENSIONS = {
    "shipping_country_code": "order__shipping_country_code",
    "marketing_channel": "ad_spend_entry__marketing_channel",
}
CHANGE_SUFFIXES = ("__mom_pts", "__mom")


# --- MetricFlow's answers ---------------------------------------------------------------------


class Answers:
    """MetricFlow's value of a metric per (period, slice), computed once per question."""

    def __init__(self, runner: MetricRunner) -> None:
        self.runner = runner
        self._cache: dict[tuple, dict] = {}

    def get(self, metric: str, grain: str | None, dimension: str | None = None) -> dict:
        key = (metric, grain, dimension)
        if key not in self._cache:
            self._cache[key] = self._sliced(metric, grain, dimension) if dimension else {
                (period, None): value for period, value in self.runner.values(metric, grain).items()
            }
        return self._cache[key]

    def _sliced(self, metric: str, grain: str | None, dimension: str) -> dict:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        engine = self.runner._sql._load()  # MetricFlow's engine, as MetricRunner plans with it
        group_by = ([f"metric_time__{grain}"] if grain else []) + [dimension]
        request = MetricFlowQueryRequest.create(metric_names=[metric], group_by_names=group_by)
        sql = engine.explain(mf_request=request).sql_statement.without_descriptions.sql
        result = {}
        for row in self.runner.connection.execute(sql).fetchall():
            period = _as_date(row[0]) if grain else None
            result[(period, row[-2])] = row[-1]
        return result


# --- reading a board --------------------------------------------------------------------------


@dataclass
class Comparison:
    board: str
    query: str
    metric: str
    rows: int = 0
    failures: list[str] = field(default_factory=list)


def chart_value_columns(board: Path) -> dict[str, set[str]]:
    """{query name: the columns its charts draw as values (KPI value and support, y, theta)}."""
    document = yaml.safe_load(board.read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for name, chart in (document.get("charts") or {}).items():
        query = chart.get("query")
        key = query if isinstance(query, str) and query in (document.get("queries") or {}) else f"{name} (inline)"
        columns = found.setdefault(key, set())
        if chart.get("type") == "kpi":
            columns.add(chart["value"])
            if (chart.get("support") or {}).get("value"):
                columns.add(chart["support"]["value"])
        y = chart.get("y")
        columns.update([y] if isinstance(y, str) else (y or []))
        for layer in chart.get("layers") or []:
            if isinstance(layer.get("y"), str):
                columns.add(layer["y"])
        if chart.get("type") == "table":
            columns.add("*")
    return found


def labelled_metrics(board: Path, labels: dict[str, str]) -> set[str]:
    """Metrics a board names in chart titles, KPI labels, y labels and field labels."""
    document = yaml.safe_load(board.read_text(encoding="utf-8"))
    texts = []
    for chart in (document.get("charts") or {}).values():
        texts += [chart.get("label"), chart.get("title"), chart.get("y_label")]
        texts += list((chart.get("field_labels") or {}).values())
    return {labels[t.lower()] for t in texts if isinstance(t, str) and t.lower() in labels}


def run_query(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    cursor = connection.execute(sql)
    return [d[0] for d in cursor.description], cursor.fetchall()


# --- comparing ----------------------------------------------------------------------------------


def _as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _prior_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def same(board_value, mf_value) -> bool:
    """Exact for counts, to the cent for money, 1e-9 relative for ratios; NULL only matches NULL."""
    if board_value is None or mf_value is None:
        return board_value is None and mf_value is None
    if isinstance(mf_value, bool) or isinstance(board_value, bool):
        return False
    if isinstance(mf_value, int):
        return board_value == mf_value and float(board_value).is_integer()
    if isinstance(mf_value, Decimal):
        cents = Decimal("0.01")
        return Decimal(str(board_value)).quantize(cents, ROUND_HALF_UP) == mf_value.quantize(cents, ROUND_HALF_UP)
    return math.isclose(float(board_value), float(mf_value), rel_tol=1e-9, abs_tol=1e-12)


def change(metric_values: dict, period: dt.date, slice_, points: bool):
    current = metric_values.get((period, slice_))
    previous = metric_values.get((_prior_month(period), slice_))
    if current is None or previous is None:
        return None
    if points:
        return (float(current) - float(previous)) * 100
    if float(previous) == 0:
        return None
    return float(current) / float(previous) - 1


def check_query(board: str, name: str, columns: list[str], rows: list[tuple], answers: Answers,
                metrics: set[str]) -> tuple[dict[str, Comparison], list[str]]:
    """Compare every metric cell of one query result; return comparisons and unchecked numbers."""
    periods = [c for c in columns if c in PERIODS]
    if len(periods) > 1:
        raise VerifyError(f"{board}:{name} has more than one period column: {periods}")
    grain = PERIODS[periods[0]] if periods else None
    dimensions = [c for c in columns if c in DIMENSIONS]
    if len(dimensions) > 1:
        raise VerifyError(f"{board}:{name} slices by more than one dimension: {dimensions}")
    dimension = DIMENSIONS[dimensions[0]] if dimensions else None
    long_format = "metric" in columns and "value" in columns

    comparisons: dict[str, Comparison] = {}
    unchecked: list[str] = []
    index = {c: i for i, c in enumerate(columns)}

    def compare(metric: str, row: tuple, board_value, expected, what: str) -> None:
        comparison = comparisons.setdefault(metric, Comparison(board, name, metric))
        comparison.rows += 1
        if not same(board_value, expected):
            comparison.failures.append(
                f"{board}:{name} {what} = {board_value!r}, MetricFlow says {expected!r} (row {dict(zip(columns, row))})"
            )

    for row in rows:
        period = _as_date(row[index[periods[0]]]) if periods else None
        slice_ = row[index[dimensions[0]]] if dimensions else None
        where = ", ".join(f"{k}={v}" for k, v in ((periods[0] if periods else None, period), (dimensions[0] if dimensions else None, slice_)) if k)
        for column in columns:
            value = row[index[column]]
            if column in metrics:
                expected = answers.get(column, grain, dimension).get((period, slice_))
                compare(column, row, value, expected, f"{column} [{where}]")
            elif column.endswith(CHANGE_SUFFIXES) and column.rsplit("__", 1)[0] in metrics:
                metric = column.rsplit("__", 1)[0]
                if grain != "month":
                    raise VerifyError(f"{board}:{name}.{column}: a month-over-month change needs a month column")
                expected = change(answers.get(metric, grain, dimension), period, slice_, column.endswith("_pts"))
                compare(column, row, value, expected, f"{column} [{where}]")
            elif long_format and column == "value":
                metric = row[index["metric"]]
                if metric not in metrics:
                    raise VerifyError(f"{board}:{name}: row names {metric!r}, which is not a metric")
                expected = answers.get(metric, grain, dimension).get((period, slice_))
                compare(metric, row, value, expected, f"value of {metric} [{where}]")
            elif column not in PERIODS and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                unchecked.append(f"{board}:{name}.{column}")
    return comparisons, unchecked


class VerifyError(ValueError):
    """A board is shaped so its numbers cannot be checked (two period columns, say)."""


def verify_boards(database: Path, semantic_manifest: Path, board_paths: list[Path] | None = None) -> list[str]:
    """Run every board query on `database` and return each disagreement with MetricFlow, and
    each number no metric accounts for, as one line; an empty list means the boards agree."""
    problems: list[str] = []
    runner = MetricRunner(semantic_manifest, database)
    try:
        answers = Answers(runner)
        metrics = set(runner.metric_names())
        for board in board_paths or boards.board_files():
            for name, sql in boards.board_queries(board).items():
                try:
                    columns, rows = run_query(runner.connection, sql)
                    comparisons, unchecked = check_query(board.stem, name, columns, rows, answers, metrics)
                except (duckdb.Error, VerifyError) as exc:
                    problems.append(f"{board.name}:{name} cannot be checked: {exc}")
                    continue
                for comparison in comparisons.values():
                    problems += comparison.failures
                problems += [f"{item} is a number no metric accounts for" for item in unchecked]
    finally:
        runner.close()
    return problems
