"""One project, three engines, the same numbers: `make parity` at a small scale.

The run (conftest.py) builds the project on DuckDB, PostgreSQL and Spark and compares every
metric at month grain and a checksum of every mart; these tests read its exit status and its
report, and check that the comparison itself would catch a difference.
"""

from __future__ import annotations

from decimal import Decimal

from warehouse.parity import Check

ENGINES = ["duckdb", "postgres", "spark"]


def test_every_engine_builds(parity_run):
    runs = {run["engine"]: run for run in parity_run.report["runs"]}
    assert sorted(runs) == sorted(ENGINES), parity_run.tail()
    for engine, run in runs.items():
        assert run["error"] is None, f"{engine}: {run['error']}"
        assert run["dbt"]["failed"] == [], f"{engine}: {run['dbt']['failed']}"
    models = {engine: run["dbt"]["models"] for engine, run in runs.items()}
    assert len(set(models.values())) == 1, f"not every engine built every model: {models}"


def test_numbers_agree_on_every_engine(parity_run):
    print(parity_run.tail(80))
    print(f"parity run: {parity_run.seconds:.0f} s")
    mismatched = {c["name"]: c["mismatches"] for c in parity_run.report["checks"] if c["mismatches"]}
    assert not mismatched, mismatched
    assert parity_run.returncode == 0, parity_run.tail()


def test_every_metric_and_mart_is_compared_on_every_engine(parity_run):
    checks = parity_run.report["checks"]
    metrics = [c for c in checks if c["family"] == "metric"]
    marts = [c for c in checks if c["family"] == "mart"]
    assert len(metrics) >= 24 and len(marts) >= 13
    for check in checks:
        assert check["cells"], f"{check['name']}: nothing compared"
        for cell, values in check["cells"].items():
            assert sorted(values) == sorted(ENGINES), f"{check['name']} {cell}: only {sorted(values)}"
    by_name = {c["name"]: c for c in marts}
    assert "sum(gross_revenue_usd)" in by_name["fct_orders"]["cells"]
    assert "count(is_test_account = true)" in by_name["fct_orders"]["cells"]


def test_a_difference_is_a_mismatch():
    check = Check("mart", "fct_orders")
    for engine, rows, revenue, rate in [
        ("duckdb", 10, Decimal("100.25"), 0.1), ("postgres", 10, Decimal("100.25"), 0.1),
        ("spark", 11, Decimal("100.26"), 0.1000001),
    ]:
        check.put("rows", engine, rows, "integer")
        check.put("sum(gross_revenue_usd)", engine, revenue, "decimal")
        check.put("aov", engine, rate, "ratio")
    problems = check.mismatches(ENGINES)
    assert [p.split(":")[0] for p in problems] == ["rows", "sum(gross_revenue_usd)", "aov"]
    assert all("spark=" in p for p in problems)


def test_decimals_compare_to_the_cent_and_integers_exactly():
    check = Check("metric", "gross_revenue")
    check.put("2025-01-01", "duckdb", Decimal("10.00"), "decimal")
    check.put("2025-01-01", "postgres", Decimal("10.000"), "decimal")
    check.put("2025-01-01", "spark", Decimal("10.0000001"), "decimal")
    check.put("2025-02-01", "duckdb", 7, "integer")
    check.put("2025-02-01", "postgres", Decimal("7"), "integer")
    check.put("2025-02-01", "spark", 7, "integer")
    assert check.mismatches(ENGINES) == []
    check.put("2025-03-01", "duckdb", 5, "integer")
    check.put("2025-03-01", "postgres", 5, "integer")
    assert check.mismatches(ENGINES) == ["2025-03-01: duckdb=5 spark=missing"]
