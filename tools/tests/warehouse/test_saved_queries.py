"""The saved queries answer, and say what the metrics say, and cover what each board shows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from warehouse.metrics import MetricRunner, saved_query_rows
from warehouse.verify import same

BOARD_OF = {
    "executive_kpis_monthly": "executive_kpis",
    "finance_revenue_monthly": "finance_revenue",
    "growth_funnel_monthly": "growth_funnel",
}


@pytest.fixture(scope="module")
def runner(tiny_warehouse):
    with MetricRunner(tiny_warehouse.target_dir / "semantic_manifest.json", tiny_warehouse.database) as metrics:
        yield metrics


def saved_queries(runner) -> list[dict]:
    return json.loads(runner.semantic_manifest.read_text()).get("saved_queries", [])


def test_every_board_has_a_saved_query(runner):
    names = {q["name"] for q in saved_queries(runner)}
    assert set(BOARD_OF) <= names


@pytest.mark.parametrize("name", ["executive_kpis_monthly", "finance_revenue_monthly", "growth_funnel_monthly"])
def test_saved_query_matches_each_metric(runner, name):
    query = next(q for q in saved_queries(runner) if q["name"] == name)
    metrics = query["query_params"]["metrics"]
    columns, rows = saved_query_rows(runner, name)
    assert rows, f"{name} returned nothing"
    assert columns[0].startswith("metric_time")
    for metric in metrics:
        expected = runner.values(metric, "month")
        index = columns.index(metric)
        for row in rows:
            month = row[0].date() if isinstance(row[0], dt.datetime) else row[0]
            if month in expected:
                assert same(row[index], expected[month]), f"{name}.{metric} {month}: {row[index]} vs {expected[month]}"


def test_saved_query_with_a_dimension_answers(runner):
    columns, rows = saved_query_rows(runner, "revenue_by_shipping_country_yearly")
    assert "order__shipping_country_code" in columns and rows
