"""`make parity`: one project, three engines, the same numbers.

Builds the project at one small scale on DuckDB, PostgreSQL and Spark, then compares, engine by
engine, against DuckDB (the reference):

* every metric at month grain, as MetricFlow computes it on that engine: on DuckDB through
  MetricRunner; on PostgreSQL MetricFlow's PostgreSQL SQL, run by psycopg2; on Spark, which
  MetricFlow has no client for, MetricFlow's SQL for Databricks (whose SQL dialect is Spark
  SQL), run by the same local Spark session dbt used. Each engine runs MetricFlow's own plan in
  its own dialect; nothing is transpiled or recomputed by hand.
* a checksum of every mart: its columns, its row count, the sum of every integer and decimal
  column, the number of true values of every boolean column and the first and last date of
  every date column.

Integers (counts, integer sums) must match exactly, decimals to the cent; ratios, which
MetricFlow computes in DOUBLE, to a relative 1e-9. It prints one comparison table and exits 1
on any mismatch (2 when an engine could not be built). Timings and every compared value go to
<out>/parity.json.

    python -m warehouse parity --scale 0.01            # make parity
    python -m warehouse parity --compare-only          # compare the builds already in <out>
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from warehouse import paths
from warehouse.build import summarise_run_results
from warehouse.engines import BIN, ENGINES, dbt_env, run_dbt
from warehouse.metrics import as_number

REFERENCE = "duckdb"
RATIO_TOLERANCE = Decimal("1e-9")
CENT = Decimal("0.01")
DEFAULT_SCALE = "0.01"

# What `dbt build` runs on each engine: everything on DuckDB and PostgreSQL (the unit tests
# cost PostgreSQL seconds). On Spark every model, seed and data test, but not the 45 unit
# tests: they test the models' logic on fixed inputs, which DuckDB and PostgreSQL already
# prove; what could differ on Spark is its SQL on real data, which the data tests and this
# comparison check, and each unit test costs Spark seconds of planning for a handful of rows.
BUILD_ARGS = {
    "duckdb": ["build", "--full-refresh"],
    "postgres": ["build", "--full-refresh"],
    "spark": ["build", "--full-refresh", "--exclude", "test_type:unit"],
}


# --- running the engines ------------------------------------------------------------------------


@dataclass
class Layout:
    """Where one parity run keeps its data, builds and report."""

    out: Path
    scale: str
    seed: int = 42

    @property
    def raw_dir(self) -> Path:
        return self.out / f"raw-sf{self.scale}"

    def engine_dir(self, engine: str) -> Path:
        return self.out / engine

    def target_dir(self, engine: str) -> Path:
        return self.engine_dir(engine) / "target"

    @property
    def duckdb_path(self) -> Path:
        return self.engine_dir("duckdb") / "tally.duckdb"

    @property
    def spark_dir(self) -> Path:
        return self.engine_dir("spark") / "session"

    def env(self, engine: str) -> dict[str, str]:
        extra = {
            "TALLY_RAW_DIR": str(self.raw_dir),
            "TALLY_DUCKDB_PATH": str(self.duckdb_path),
            "TALLY_DUCKDB_READ_ONLY": "False",
            "TALLY_SPARK_DIR": str(self.spark_dir),
        }
        return dbt_env(engine, self.target_dir(engine), self.engine_dir(engine) / "logs", extra)


@dataclass
class EngineRun:
    engine: str
    load_seconds: float = 0.0
    build_seconds: float = 0.0
    dbt: dict = field(default_factory=dict)
    error: str | None = None


def generate(layout: Layout) -> None:
    if (layout.raw_dir / "_manifest.json").exists():
        return
    print(f"==> raw data at scale {layout.scale} (seed {layout.seed}) in {layout.raw_dir}", flush=True)
    subprocess.run(
        [str(BIN / "tally-datagen"), "generate", "--scale", layout.scale, "--seed", str(layout.seed),
         "--out", str(layout.raw_dir), "--force", "--no-progress"],
        check=True, capture_output=True, text=True,
    )


def _load(layout: Layout, engine: str) -> float:
    """Load the raw data into a server engine in its own process (the CLI of make load-<engine>)."""
    if engine == "duckdb":
        return 0.0  # dbt-duckdb reads the Parquet files in place
    start = time.perf_counter()
    completed = subprocess.run(
        [str(BIN / "python"), "-m", "warehouse", f"load-{engine}", "--raw-dir", str(layout.raw_dir)],
        cwd=paths.ROOT, env=layout.env(engine), capture_output=True, text=True,
    )
    (layout.engine_dir(engine) / "load.log").write_text(completed.stdout + completed.stderr)
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"loading the raw data into {engine} failed:\n{tail}")
    return time.perf_counter() - start


def build_engine(layout: Layout, engine: str) -> EngineRun:
    run = EngineRun(engine)
    layout.engine_dir(engine).mkdir(parents=True, exist_ok=True)
    try:
        print(f"==> {engine}: load", flush=True)
        run.load_seconds = _load(layout, engine)
        print(f"==> {engine}: dbt {' '.join(BUILD_ARGS[engine])}", flush=True)
        result = run_dbt([*BUILD_ARGS[engine], "--target", engine], layout.env(engine),
                         log_to=layout.engine_dir(engine) / "build.log")
        run.build_seconds = result.seconds
        run.dbt = summarise_run_results(layout.target_dir(engine) / "run_results.json")
        if result.returncode != 0:
            failed = run.dbt.get("failed") or ["(see build.log)"]
            tail = "\n".join(result.output.strip().splitlines()[-12:])
            raise RuntimeError(f"dbt build failed on {engine}: {', '.join(failed[:5])}\n{tail}")
        print(f"    loaded in {run.load_seconds:.0f} s, built in {run.build_seconds:.0f} s "
              f"({run.dbt.get('models', 0)} models, {run.dbt.get('tests_passed', 0)}/{run.dbt.get('tests', 0)} tests)",
              flush=True)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        run.error = str(exc)
        print(f"    {engine} failed: {exc}", file=sys.stderr, flush=True)
    return run


# --- reading the engines ---------------------------------------------------------------------------


class Reader:
    """Runs SQL on one engine's build and renders MetricFlow's SQL for it."""

    engine: str
    metric_dialect: str

    def __init__(self, layout: Layout) -> None:
        from tally.inputs.metricflow import CanonicalSql

        self.semantic_manifest = layout.target_dir(self.engine) / "semantic_manifest.json"
        self._metric_sql = CanonicalSql(self.semantic_manifest, self.metric_dialect)

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        raise NotImplementedError

    def metric_values(self, metric: str) -> dict:
        sql = self._metric_sql.sql(metric, "month")
        if sql is None:
            raise RuntimeError(f"MetricFlow could not plan {metric} for {self.engine}")
        _, rows = self.rows(sql)
        values = {}
        for row in rows:
            period = row[0]
            if isinstance(period, dt.datetime):
                period = period.date()
            values[period] = row[-1]
        return values

    def close(self) -> None:
        pass


class DuckDbReader(Reader):
    engine, metric_dialect = "duckdb", "duckdb"

    def __init__(self, layout: Layout) -> None:
        import duckdb

        super().__init__(layout)
        self.connection = duckdb.connect(str(layout.duckdb_path), read_only=True)

    def rows(self, sql):
        cursor = self.connection.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()

    def close(self):
        self.connection.close()


class PostgresReader(Reader):
    engine, metric_dialect = "postgres", "postgres"

    def __init__(self, layout: Layout) -> None:
        from warehouse.engines import postgres

        super().__init__(layout)
        self.connection = postgres.connect(postgres.Settings.from_env())
        self.connection.set_session(readonly=True, autocommit=True)

    def rows(self, sql):
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()

    def close(self):
        self.connection.close()


class SparkReader(Reader):
    # MetricFlow has no Spark client; its Databricks rendering is Spark SQL.
    engine, metric_dialect = "spark", "databricks"

    def __init__(self, layout: Layout) -> None:
        from warehouse.engines import spark

        super().__init__(layout)
        self.session = spark.session(layout.spark_dir)

    def rows(self, sql):
        frame = self.session.sql(sql)
        return list(frame.columns), [tuple(row) for row in frame.collect()]

    def close(self):
        self.session.stop()


READERS = {"duckdb": DuckDbReader, "postgres": PostgresReader, "spark": SparkReader}


# --- what is compared ----------------------------------------------------------------------------


@dataclass
class Mart:
    name: str
    schema: str
    columns: list[tuple[str, str]]  # (name, declared data_type)

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"


def marts(manifest_path: Path) -> list[Mart]:
    """Every mart (models/marts/**) with its documented columns, from the reference manifest."""
    manifest = json.loads(manifest_path.read_text())
    found = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["fqn"][1:2] != ["marts"]:
            continue
        columns = [(c["name"], (c.get("data_type") or "").lower()) for c in node["columns"].values()]
        found.append(Mart(node["alias"], node["schema"], columns))
    return sorted(found, key=lambda m: m.name)


def _kind(data_type: str) -> str | None:
    if data_type in ("bigint", "integer", "int", "smallint"):
        return "integer"
    if data_type.startswith(("decimal", "numeric")):
        return "decimal"
    if data_type == "boolean":
        return "boolean"
    if data_type == "date":
        return "date"
    return None


def checksum_sql(mart: Mart) -> tuple[str, list[tuple[str, str]]]:
    """One portable query: row count, integer and decimal sums, true counts. And what each is."""
    parts, labels = ["count(*)"], [("rows", "integer")]
    for column, data_type in mart.columns:
        kind = _kind(data_type)
        if kind == "integer":
            parts.append(f"sum(cast({column} as decimal(38, 0)))")
            labels.append((f"sum({column})", "integer"))
        elif kind == "decimal":
            parts.append(f"sum({column})")
            labels.append((f"sum({column})", "decimal"))
        elif kind == "boolean":
            parts.append(f"sum(case when {column} then 1 else 0 end)")
            labels.append((f"count({column} = true)", "integer"))
        elif kind == "date":
            parts.extend([f"min({column})", f"max({column})"])
            labels.extend([(f"min({column})", "text"), (f"max({column})", "text")])
    return f"select {', '.join(parts)} from {mart.relation}", labels


@dataclass
class Check:
    """One compared thing (a metric, a mart) with its values per engine and cell."""

    family: str  # metric | mart
    name: str
    cells: dict[str, dict[str, object]] = field(default_factory=dict)  # cell -> engine -> value
    kinds: dict[str, str] = field(default_factory=dict)  # cell -> integer | decimal | ratio | text
    errors: dict[str, str] = field(default_factory=dict)  # engine -> why it has no values

    def put(self, cell: str, engine: str, value, kind: str) -> None:
        self.cells.setdefault(cell, {})[engine] = value
        self.kinds.setdefault(cell, kind)

    def mismatches(self, engines: list[str]) -> list[str]:
        found = [f"{engine}: {error}" for engine, error in self.errors.items()]
        for cell, values in self.cells.items():
            reference = values.get(REFERENCE)
            for engine in engines:
                if engine == REFERENCE or engine in self.errors:
                    continue
                if not _equal(reference, values.get(engine), self.kinds[cell]):
                    found.append(f"{cell}: {REFERENCE}={_show(reference)} {engine}={_show(values.get(engine))}")
        return found


def _equal(a, b, kind: str) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if kind == "text":
        return a == b
    a, b = as_number(a), as_number(b)
    if kind == "integer":
        return a == b
    if kind == "decimal":
        return a.quantize(CENT) == b.quantize(CENT)
    scale = max(abs(a), abs(b), Decimal(1))
    return abs(a - b) <= RATIO_TOLERANCE * scale


def _show(value) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _metric_kind(value) -> str:
    """How a metric's value compares, from the reference's type: DOUBLE ratios, DECIMAL money."""
    if isinstance(value, float):
        return "ratio"
    if isinstance(value, Decimal) and value.as_tuple().exponent < 0:
        return "decimal"
    return "integer"


def collect(layout: Layout, engines: list[str]) -> list[Check]:
    metric_names = sorted(m["name"] for m in json.loads(
        (layout.target_dir(REFERENCE) / "semantic_manifest.json").read_text())["metrics"])
    mart_list = marts(layout.target_dir(REFERENCE) / "manifest.json")
    metric_checks = {name: Check("metric", name) for name in metric_names}
    mart_checks = {mart.name: Check("mart", mart.name) for mart in mart_list}
    kinds: dict[tuple[str, str], str] = {}
    for engine in engines:
        print(f"==> {engine}: metrics and mart checksums", flush=True)
        reader = READERS[engine](layout)
        try:
            for name, check in metric_checks.items():
                try:
                    values = reader.metric_values(name)
                except Exception as exc:  # noqa: BLE001 - reported as this engine's mismatch
                    check.errors[engine] = _first_line(exc)
                    continue
                for period, value in values.items():
                    cell = period.isoformat() if period else "total"
                    kind = kinds.setdefault((name, cell), _metric_kind(value) if value is not None else "decimal")
                    check.put(cell, engine, value, kind)
            for mart in mart_list:
                check = mart_checks[mart.name]
                sql, labels = checksum_sql(mart)
                try:
                    columns, _ = reader.rows(f"select * from {mart.relation} where 1 = 0")
                    _, rows = reader.rows(sql)
                except Exception as exc:  # noqa: BLE001
                    check.errors[engine] = _first_line(exc)
                    continue
                documented = [c for c, _ in mart.columns]
                check.put("columns", engine, ",".join(c.lower() for c in columns), "text")
                check.put("documented columns", engine, ",".join(documented), "text")
                for (label, kind), value in zip(labels, rows[0]):
                    check.put(label, engine, value, kind)
        finally:
            reader.close()
    return [*metric_checks.values(), *mart_checks.values()]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


# --- the report ------------------------------------------------------------------------------------


def _headline(check: Check, engine: str) -> str:
    """What the table shows for an engine: a metric's sum over its months, a mart's row count."""
    if engine in check.errors:
        return "error"
    if check.family == "mart":
        rows = check.cells.get("rows", {}).get(engine)
        return "none" if rows is None else f"{rows:,}"
    values = [as_number(v.get(engine)) for c, v in check.cells.items() if v.get(engine) is not None]
    if not values:
        return "none"
    total = sum(values, Decimal(0))
    if any(check.kinds[c] == "ratio" for c in check.cells):
        return f"{total:.6f}"
    return f"{total:,}"


def report(checks: list[Check], engines: list[str], runs: list[EngineRun]) -> int:
    width = {"name": max(len(c.name) for c in checks) + 2}
    header = f"{'':8}{'':<{width['name']}}{'cells':>7}" + "".join(f"{e:>18}" for e in engines) + "  result"
    print()
    print("Parity: metrics by month (sum of the monthly values) and marts (rows; columns, numeric sums)")
    print(header)
    print("-" * len(header))
    failures = 0
    for check in checks:
        problems = check.mismatches(engines)
        failures += bool(problems)
        result = "ok" if not problems else f"MISMATCH ({len(problems)})"
        print(f"{check.family:8}{check.name:<{width['name']}}{len(check.cells):>7}"
              + "".join(f"{_headline(check, e):>18}" for e in engines) + f"  {result}")
        for problem in problems[:8]:
            print(f"{'':10}{problem}")
        if len(problems) > 8:
            print(f"{'':10}... and {len(problems) - 8} more")
    print("-" * len(header))
    cells = sum(len(c.cells) for c in checks)
    print(f"{len(checks)} checks ({cells} cells per engine): "
          + ("all equal on " + ", ".join(engines) if not failures else f"{failures} differ"))
    print()
    print(f"{'engine':10}{'load':>10}{'dbt build':>12}  models, tests")
    for run in runs:
        tests = f"{run.dbt.get('models', 0)} models, {run.dbt.get('tests_passed', 0)}/{run.dbt.get('tests', 0)} tests"
        print(f"{run.engine:10}{run.load_seconds:>9.0f}s{run.build_seconds:>11.0f}s  {tests}")
    return failures


def write_json(path: Path, layout: Layout, engines: list[str], checks: list[Check], runs: list[EngineRun],
               seconds: float) -> None:
    def plain(value):
        if isinstance(value, Decimal):
            return str(value)
        return value

    path.write_text(json.dumps({
        "scale": layout.scale,
        "seed": layout.seed,
        "engines": engines,
        "seconds": round(seconds, 1),
        "runs": [run.__dict__ for run in runs],
        "checks": [
            {"family": c.family, "name": c.name, "mismatches": c.mismatches(engines), "errors": c.errors,
             "cells": {cell: {e: plain(v) for e, v in values.items()} for cell, values in c.cells.items()}}
            for c in checks
        ],
    }, indent=1, default=str))


def main(scale: str = DEFAULT_SCALE, seed: int = 42, out: Path | None = None,
         engines: list[str] | None = None, compare_only: bool = False) -> int:
    engines = engines or list(ENGINES)
    if engines[0] != REFERENCE:
        engines = [REFERENCE, *[e for e in engines if e != REFERENCE]]
    layout = Layout(Path(out or paths.BUILD_DIR / "parity").resolve(), scale, seed)
    layout.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runs: list[EngineRun] = []
    if not compare_only:
        generate(layout)
        for engine in engines:
            runs.append(build_engine(layout, engine))
        if any(run.error for run in runs):
            print("\nparity: not every engine built; nothing compared", file=sys.stderr)
            write_json(layout.out / "parity.json", layout, engines, [], runs, time.perf_counter() - started)
            return 2
    checks = collect(layout, engines)
    failures = report(checks, engines, runs)
    seconds = time.perf_counter() - started
    write_json(layout.out / "parity.json", layout, engines, checks, runs, seconds)
    print(f"\nparity took {seconds:.0f} s; details in {layout.out / 'parity.json'}")
    return 1 if failures else 0
