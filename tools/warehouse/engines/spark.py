"""Spark: the raw data as Parquet tables of a local session's metastore, and a session to query them.

The session is configured exactly as dbt's `spark` target (profiles.yml's
`server_side_parameters`, read from there and rendered with the same environment), so the
tables the loader writes are the tables dbt reads: one Hive metastore (Derby) and one warehouse
folder under TALLY_SPARK_DIR (build/spark by default), UTC session time.

`load` copies every raw Parquet table into a Parquet table raw_<source>.<table>. DuckDB first
reads the files as the DuckDB sources do (`union_by_name`, so files of one table whose columns
drifted still agree) into one Parquet file per table; Spark then creates the table from it.
Timestamps in the files carry no time zone (Spark would read them as TIMESTAMP_NTZ); they are
stored as Spark's TIMESTAMP, which under the UTC session time is the same wall-clock value,
so the models' timestamp arithmetic and comparisons all see one type.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import jinja2
import yaml

from warehouse import paths
from warehouse.engines import raw_schema, raw_tables, read_parquet_sql


def spark_dir() -> Path:
    path = Path(os.environ.get("TALLY_SPARK_DIR", "build/spark"))
    return path if path.is_absolute() else paths.ROOT / path


def session_parameters(directory: Path | None = None, target: str = "spark") -> dict[str, str]:
    """profiles.yml's server_side_parameters of the Spark target, rendered as dbt renders them
    (TALLY_SPARK_DIR made absolute, or `directory` when given)."""
    profile = yaml.safe_load((paths.ROOT / "profiles.yml").read_text())
    output = profile["tally"]["outputs"][target]
    env = {**os.environ, "TALLY_SPARK_DIR": str(directory or spark_dir())}
    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    jinja.globals["env_var"] = lambda name, default=None: env.get(name, default)
    params = {key: jinja.from_string(str(value)).render() for key, value in output["server_side_parameters"].items()}
    params["spark.sql.ansi.enabled"] = "false"  # dbt-spark forces this on its sessions too
    return params


def session(directory: Path | None = None):
    """The local Spark session dbt's `spark` target uses (starting it takes ~20 s)."""
    from pyspark.sql import SparkSession

    (directory or spark_dir()).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.enableHiveSupport().appName("tally")
    for key, value in session_parameters(directory).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def load(raw_dir: Path, spark=None, echo=print) -> dict[str, int]:
    """Replace raw_<source>.<table> with the Parquet files' rows; {source.table: rows}."""
    tables = raw_tables(raw_dir)
    if not tables:
        raise RuntimeError(f"no raw Parquet data under {raw_dir} (make data)")
    spark = spark or session()
    staging = spark_dir() / "load"
    staging.mkdir(parents=True, exist_ok=True)
    duck = duckdb.connect()
    loaded: dict[str, int] = {}
    for table in tables:
        start = time.perf_counter()
        schema, name = raw_schema(table), table.name
        file = staging / f"{schema}.{name}.parquet"
        duck.execute(f"copy ({read_parquet_sql(table, raw_dir)}) to '{file}' (format parquet)")
        frame = spark.read.parquet(str(file))
        columns = [
            f"cast(`{field.name}` as timestamp) as `{field.name}`" if field.dataType.typeName() == "timestamp_ntz"
            else f"`{field.name}`"
            for field in frame.schema.fields
        ]
        spark.sql(f"create database if not exists {schema}")
        spark.sql(f"drop table if exists {schema}.{name}")
        spark.sql(
            f"create table {schema}.{name} using parquet as "
            f"select {', '.join(columns)} from parquet.`{file}`"
        )
        file.unlink()
        loaded[table.qualified] = spark.table(f"{schema}.{name}").count()
        echo(f"  {schema + '.' + name:<28} {loaded[table.qualified]:>10,} rows  {time.perf_counter() - start:6.1f} s")
    duck.close()
    return loaded
