"""Helpers shared by the datagen tests (imported as a plain module: the tests run with
pytest's importlib import mode, where conftest.py is not importable)."""

from __future__ import annotations

from pathlib import Path

from datagen.commands import generate
from datagen.schema import TABLES


def quiet_generate(out: Path, scale: float, seed: int = 42, **kwargs) -> dict:
    kwargs.setdefault("workers", 1)
    return generate(str(out), seed, scale, progress=False, echo=lambda *_: None, **kwargs)


def connect(root: Path):
    """A DuckDB connection with one view per raw table, named <source>_<table>."""
    import duckdb

    con = duckdb.connect()
    for t in TABLES.values():
        con.execute(f"create view {t.source}_{t.name} as select * from "
                    f"read_parquet('{root}/{t.source}/{t.name}/*.parquet', union_by_name=true)")
    return con


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]
