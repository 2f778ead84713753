"""The parity run the engine tests share: the project built at a small scale on DuckDB,
PostgreSQL and Spark by `python -m warehouse parity` (what `make parity` runs), once per session.

Everything lives in a temporary folder (raw data, DuckDB file, dbt targets, the Spark metastore
and warehouse) and in a PostgreSQL database of its own, dropped afterwards, so the tests never
touch build/parity or the `tally` database a developer loaded.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PARITY_SCALE = os.environ.get("TALLY_TEST_PARITY_SCALE", "0.01")


@dataclass
class ParityRun:
    returncode: int
    output: str
    out: Path
    database: str
    seconds: float

    @property
    def report(self) -> dict:
        return json.loads((self.out / "parity.json").read_text())

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.strip().splitlines()[-lines:])


def _drop_database(name: str) -> None:
    from warehouse.engines import postgres

    settings = postgres.Settings.from_env()
    try:
        connection = postgres.connect(dataclasses.replace(settings, dbname="postgres"))
    except Exception:  # noqa: BLE001 - nothing to clean up if the server is gone
        return
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'drop database if exists "{name}"')
    connection.close()


@pytest.fixture(scope="session")
def parity_run(tmp_path_factory) -> ParityRun:
    out = tmp_path_factory.mktemp("parity")
    database = f"tally_test_{os.getpid()}"
    env = {
        **os.environ,
        "TALLY_PG_DBNAME": database,
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_PROJECT_DIR": str(ROOT),
        "DO_NOT_TRACK": "1",
    }
    start = time.perf_counter()
    completed = subprocess.run(
        [str(BIN / "python"), "-m", "warehouse", "parity", "--scale", PARITY_SCALE, "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    run = ParityRun(completed.returncode, completed.stdout + completed.stderr, out, database,
                    time.perf_counter() - start)
    yield run
    _drop_database(database)
