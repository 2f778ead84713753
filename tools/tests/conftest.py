"""Shared fixtures: a tiny generated data set and a warehouse built from it, once per session.

Tests never touch the published warehouse or the repository's target/: everything is built in
a temporary folder with its own DuckDB file, dbt target path and logs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TINY_SCALE = os.environ.get("TALLY_TEST_SCALE", "0.002")


@dataclass
class BuiltWarehouse:
    root: Path
    raw_dir: Path
    database: Path
    target_dir: Path
    env: dict[str, str]

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run_dbt(list(args), self.env, check=check)


def dbt_env(raw_dir: Path, database: Path, target_dir: Path, log_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_PROJECT_DIR": str(ROOT),
        "DBT_TARGET_PATH": str(target_dir),
        "DBT_LOG_PATH": str(log_dir),
        "DO_NOT_TRACK": "1",
        "TALLY_RAW_DIR": str(raw_dir),
        "TALLY_TARGET": "duckdb",
        "TALLY_DUCKDB_PATH": str(database),
        "TALLY_DUCKDB_READ_ONLY": "False",
    }


def warehouse_dir(root: Path, name: str, raw_dir: Path) -> BuiltWarehouse:
    """A new folder root/name for a warehouse built from raw_dir: its DuckDB file, target, logs."""
    # DuckDB names the catalog after the file and dbt's views refer to it: keep it tally.duckdb.
    folder = root / name
    folder.mkdir()
    database, target_dir = folder / "tally.duckdb", folder / "target"
    return BuiltWarehouse(folder, raw_dir, database, target_dir, dbt_env(raw_dir, database, target_dir, folder / "logs"))


def run_dbt(args: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    completed = subprocess.run([str(BIN / "dbt"), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if check and completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-40:])
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{tail}")
    return completed


def generate(out: Path, scale: str = TINY_SCALE, seed: int = 42, *extra: str) -> Path:
    subprocess.run(
        [str(BIN / "tally-datagen"), "generate", "--scale", scale, "--seed", str(seed), "--out", str(out), *extra],
        check=True, capture_output=True, text=True,
    )
    return out


@pytest.fixture(scope="session")
def shared():
    """This module (generate, dbt_env, run_dbt, BIN), for test modules: under pytest's importlib
    mode a conftest cannot be imported by name."""
    return sys.modules[__name__]


@pytest.fixture(scope="session")
def generate_raw():
    """`generate` for test modules: under pytest's importlib mode a conftest cannot be imported."""
    return generate


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("raw") / "raw")


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory, tiny_raw) -> BuiltWarehouse:
    """The whole project built and documented on the tiny data set."""
    root = tmp_path_factory.mktemp("warehouse")
    database = root / "tally.duckdb"
    env = dbt_env(tiny_raw, database, root / "target", root / "logs")
    warehouse = BuiltWarehouse(root, tiny_raw, database, root / "target", env)
    warehouse.dbt("build")
    warehouse.dbt("docs", "generate")
    return warehouse
