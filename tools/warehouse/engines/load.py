"""`make load-postgres` and `make load-spark`: the raw Parquet data into a server engine."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(engine: str, raw_dir: Path) -> int:
    raw_dir = raw_dir.resolve()
    start = time.perf_counter()
    try:
        if engine == "postgres":
            from warehouse.engines import postgres

            settings = postgres.Settings.from_env()
            for step in postgres.bootstrap(settings):
                print(f"  {step}")
            print(f"Loading {raw_dir} into PostgreSQL {settings.user}@{settings.host}:{settings.port}/{settings.dbname}")
            loaded = postgres.load(raw_dir, settings)
        else:
            from warehouse.engines import spark

            print(f"Loading {raw_dir} into Spark ({spark.spark_dir()})")
            loaded = spark.load(raw_dir)
    except Exception as exc:  # noqa: BLE001 - one line for the person at the terminal
        print(f"error: loading into {engine} failed: {exc}", file=sys.stderr)
        return 1
    print(f"{sum(loaded.values()):,} rows in {len(loaded)} tables, {time.perf_counter() - start:.1f} s")
    return 0
