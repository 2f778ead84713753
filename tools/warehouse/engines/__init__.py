"""Tally on other engines: the raw data loaded into PostgreSQL and Spark, and dbt run there.

    raw Parquet (tally-datagen)  --load-->  raw_<source>.<table> on the engine  --dbt build-->  marts

On DuckDB, dbt reads the Parquet files in place (the sources' `meta.external_location`). The
other engines read tables: the same `source('shop', 'orders')` resolves to `raw_shop.orders`,
the schema each source declares. `postgres.load` COPYs the files in, `spark.load` copies them
into Parquet tables of the session's metastore. Both read the files through DuckDB's
`read_parquet(..., union_by_name = true)`, exactly as dbt-duckdb does, so every engine starts
from the same rows and the same column types.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from datagen.schema import TABLES, RawTable

BIN = Path(sys.executable).parent
ENGINES = ("duckdb", "postgres", "spark")


def raw_schema(table: RawTable) -> str:
    """The schema a source table lives in on a server engine (the source's `schema:`)."""
    return f"raw_{table.source}"


def raw_tables(raw_dir: Path) -> list[RawTable]:
    """The raw tables present under raw_dir, in the order of the raw-data contract."""
    return [t for t in TABLES.values() if any(Path(t.path(str(raw_dir))).glob("*.parquet"))]


def read_parquet_sql(table: RawTable, raw_dir: Path) -> str:
    """DuckDB SQL reading one raw table the way the DuckDB sources do."""
    pattern = Path(table.path(str(raw_dir))) / "*.parquet"
    return f"select * from read_parquet('{pattern}', union_by_name = true)"


@dataclass
class DbtRun:
    command: list[str]
    returncode: int
    seconds: float
    output: str


def run_dbt(args: list[str], env: dict[str, str], log_to: Path | None = None) -> DbtRun:
    """Run dbt in the project root; its output goes to log_to (and stays available)."""
    from warehouse import paths

    command = [str(BIN / "dbt"), *args]
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=paths.ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = completed.stdout + completed.stderr
    if log_to is not None:
        log_to.parent.mkdir(parents=True, exist_ok=True)
        log_to.write_text(output)
    return DbtRun(command, completed.returncode, seconds, output)


def dbt_env(target: str, target_dir: Path, log_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for dbt on one engine, with its own target and log folders."""
    from warehouse import paths

    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(paths.ROOT),
        "DBT_PROJECT_DIR": str(paths.ROOT),
        "DBT_TARGET_PATH": str(target_dir),
        "DBT_LOG_PATH": str(log_dir),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TALLY_TARGET": target,
        **(extra or {}),
    }
