"""A fingerprint of everything a dbt unit test's result depends on: the project's code and dbt.

A unit test runs a model's SQL on fixed input rows, so it can only change its verdict when the
code changes (the models, macros, tests, seeds, the project and profile files) or dbt or DuckDB
does. One input is outside: fixture rows take the column types of the relations they stand for
from the warehouse, so a raw column that changes type could change a verdict; a full refresh
runs the unit tests again. dbt recommends
running unit tests in development and CI and not against production data; `make build` runs them
in every full build and in every incremental build whose code differs from the published build's,
and skips them when the fingerprint matches the published build's (which passed them).
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

CODE_PATHS = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests", "seeds")
DBT_DISTRIBUTIONS = ("dbt-core", "dbt-adapters", "dbt-common", "dbt-duckdb", "duckdb")


def code_fingerprint(root: Path) -> str:
    """SHA-256 over the project's code files (path and content, in a stable order) and the
    versions of dbt, its adapter and DuckDB installed."""
    digest = hashlib.sha256()
    for name in DBT_DISTRIBUTIONS:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{name}=={version}\n".encode())
    for top in CODE_PATHS:
        path = root / top
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def relations_fingerprint(code: str, raw_dir: Path) -> str:
    """What the SQL of the views and seeds is compiled from: the code (code_fingerprint) and the
    raw data folder, which the sources' external locations name (TALLY_RAW_DIR). The database
    file name, the other input, is the same for every build (warehouse.publish)."""
    return hashlib.sha256(f"{code}\n{Path(raw_dir).resolve()}".encode()).hexdigest()
