"""Answer metric questions the way `mf query` does, in-process and fast.

MetricFlow renders a metric's SQL from the semantic manifest (the same as `mf query --explain`),
and DuckDB runs it on a warehouse file opened read-only. One engine serves every query of a
session, where each `mf query` command would load dbt anew.

    runner = MetricRunner(target_dir / "semantic_manifest.json", database)
    runner.values("net_revenue", "month")  # {date(2025, 1, 1): Decimal("123.45"), ...}
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb

from tally.inputs.metricflow import CanonicalSql

GRAINS = ("day", "week", "month", "quarter", "year")


class MetricError(RuntimeError):
    """MetricFlow could not answer; the message says which metric and why."""


class MetricRunner:
    def __init__(self, semantic_manifest: Path, database: Path) -> None:
        self.semantic_manifest = semantic_manifest
        self.database = database
        self._sql = CanonicalSql(semantic_manifest, "duckdb")
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            self._connection = duckdb.connect(str(self.database), read_only=True)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> "MetricRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def metric_names(self) -> list[str]:
        manifest = json.loads(self.semantic_manifest.read_text())
        return sorted(m["name"] for m in manifest.get("metrics", []))

    def metric_grains(self, metric: str) -> list[str]:
        """Grains a metric can be asked at: its time dimensions' granularity and coarser."""
        manifest = json.loads(self.semantic_manifest.read_text())
        finest = "day"
        measures = _measures_of(manifest, metric)
        for sm in manifest.get("semantic_models", []):
            for measure in sm.get("measures", []):
                if measure["name"] not in measures:
                    continue
                time_dim = measure.get("agg_time_dimension") or (sm.get("defaults") or {}).get("agg_time_dimension")
                for dim in sm.get("dimensions", []):
                    if dim["name"] == time_dim:
                        grain = ((dim.get("type_params") or {}).get("time_granularity") or "day").lower()
                        if GRAINS.index(grain) > GRAINS.index(finest):
                            finest = grain
        return [g for g in GRAINS if GRAINS.index(g) >= GRAINS.index(finest)]

    def sql(self, metric: str, grain: str | None = "month") -> str:
        text = self._sql.sql(metric, grain)
        if text is None:
            raise MetricError(f"MetricFlow could not plan {metric!r} at grain {grain!r}")
        return text

    def values(self, metric: str, grain: str | None = "month") -> dict:
        """{period start (date): value} for a metric at a grain; {None: value} with no grain."""
        rows = self.connection.execute(self.sql(metric, grain)).fetchall()
        result = {}
        for row in rows:
            period, value = (row[0], row[-1]) if grain else (None, row[-1])
            if isinstance(period, dt.datetime):
                period = period.date()
            result[period] = value
        return result


def saved_query_rows(runner: "MetricRunner", name: str) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of a saved query, as `mf query --saved-query NAME` answers it."""
    sql = runner._sql.saved_query_sql(name)
    if sql is None:
        raise MetricError(f"MetricFlow could not plan the saved query {name!r}")
    cursor = runner.connection.execute(sql)
    return [d[0] for d in cursor.description], cursor.fetchall()


def _measures_of(manifest: dict, metric_name: str, seen: set[str] | None = None) -> set[str]:
    """Every measure a metric reads, through ratio and derived inputs."""
    seen = seen or set()
    if metric_name in seen:
        return set()
    seen.add(metric_name)
    metric = next((m for m in manifest.get("metrics", []) if m["name"] == metric_name), None)
    if metric is None:
        return set()
    params = metric.get("type_params") or {}
    found = {m["name"] for m in params.get("input_measures") or []}
    for key in ("numerator", "denominator"):
        if params.get(key):
            found |= _measures_of(manifest, params[key]["name"], seen)
    for item in params.get("metrics") or []:
        found |= _measures_of(manifest, item["name"], seen)
    return found


def as_number(value) -> Decimal | None:
    """Comparable numbers: Decimal for money and counts, rounded ratios for floats."""
    if value is None:
        return None
    if isinstance(value, float):
        return Decimal(repr(round(value, 10)))
    return Decimal(str(value))
