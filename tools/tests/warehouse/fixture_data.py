"""The hand-made metric fixture: CSV files written by hand, delivered as raw Parquet.

`tools/tests/fixtures/metric_fixture/` holds one CSV per raw table, named `<source>__<table>.csv`
(`shop__orders.csv`), with exactly the columns of the raw-data contract in datagen/schema.py.
`write_raw` turns them into the lake layout dbt reads (`<raw>/<source>/<table>/*.parquet`), typed
with the contract's Arrow schema, so the warehouse cannot tell the fixture from generated data.

An empty CSV field is NULL; timestamps are written `YYYY-MM-DD HH:MM:SS` (local wall-clock time
where the contract says so, UTC everywhere else); booleans `true`/`false`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from datagen.schema import TABLES, RawTable

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "metric_fixture"


def csv_path(table: RawTable, fixture_dir: Path = FIXTURE_DIR) -> Path:
    return fixture_dir / f"{table.source}__{table.name}.csv"


def read_table(table: RawTable, fixture_dir: Path = FIXTURE_DIR) -> pa.Table:
    """One raw table from its CSV, with the contract's column names, order and Arrow types."""
    path = csv_path(table, fixture_dir)
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    if header != table.schema.names:
        raise ValueError(f"{path.name}: columns {header} differ from the raw contract {table.schema.names}")
    return pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(
            column_types=table.schema,
            null_values=[""],
            strings_can_be_null=True,
            true_values=["true"],
            false_values=["false"],
            timestamp_parsers=["%Y-%m-%d %H:%M:%S"],
        ),
    ).cast(table.schema)


def write_raw(raw_dir: Path, fixture_dir: Path = FIXTURE_DIR) -> Path:
    """Every raw table of the contract as one Parquet file under `raw_dir`; returns `raw_dir`."""
    missing = [t.qualified for t in TABLES.values() if not csv_path(t, fixture_dir).exists()]
    if missing:
        raise FileNotFoundError(f"the metric fixture has no CSV for {missing}")
    for table in TABLES.values():
        folder = Path(table.path(str(raw_dir)))
        folder.mkdir(parents=True, exist_ok=True)
        # Written like datagen's writer: plain Parquet types, no embedded Arrow schema.
        pq.write_table(read_table(table, fixture_dir), folder / "part-fixture.parquet", store_schema=False)
    return raw_dir
