"""The uniqueness benchmark runs both implementations of repeated_values side by side, on raw
Parquet keys and warehouse tables, and they agree on the repeats planted here.

No timing is asserted: a benchmark measures; what is checked is what it found and wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[3]

# case name in the benchmark: how many keys are planted more than once
PLANTED = {
    "web.events id (raw)": 3,
    "shop.orders (id, _cdc_lsn) (raw)": 2,
    "web.sessions id (raw)": 0,
    "fct_sessions session_id": 1,
    "fct_order_items order_item_id": 0,
}


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict]:
    home = tmp_path_factory.mktemp("repeated")
    raw, database, out = home / "raw", home / "tally.duckdb", home / "repeated-values.json"
    for folder in ("web/events", "web/sessions", "shop/orders"):
        (raw / folder).mkdir(parents=True)
    with duckdb.connect() as con:
        # 10,000 events, ids 1, 2, 3 delivered twice more; a NULL id twice is no repeat
        con.execute(f"""copy (select i % 10000 + 1 as id from range(10003) as t(i)
                            union all select null from range(2))
                        to '{raw}/web/events/part-0.parquet' (format parquet)""")
        con.execute(f"copy (select i as id from range(500) as t(i)) to '{raw}/web/sessions/part-0.parquet' (format parquet)")
        # order versions: (7, 1) and (8, 2) repeat; (7, 2) is another version, not a repeat
        con.execute(f"""copy (select * from (values (7, 1), (7, 1), (7, 2), (8, 2), (8, 2), (8, 2), (9, null))
                              as v(id, _cdc_lsn))
                        to '{raw}/shop/orders/part-0.parquet' (format parquet)""")
    with duckdb.connect(str(database)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_sessions as select i % 99 as session_id from range(100) as t(i)")
        con.execute("create table marts.fct_order_items as select i as order_item_id from range(100) as t(i)")
    completed = subprocess.run(
        [sys.executable, "-m", "warehouse.bench.repeated_values", "--raw", str(raw), "--database", str(database),
         "--runs", "1", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed, json.loads(out.read_text())


def test_both_implementations_find_the_planted_repeats(bench):
    _, result = bench
    assert {name: case["repeated"] for name, case in result["cases"].items()} == PLANTED


def test_every_case_is_timed_and_compared(bench):
    completed, result = bench
    for name, case in result["cases"].items():
        assert {"grouped_cpu_s", "sorted_cpu_s", "grouped_wall_s", "sorted_wall_s"} <= set(case)
        assert case["cpu_ratio_grouped_to_sorted"] > 0
        assert name in completed.stdout


def test_a_missing_warehouse_is_a_clear_error(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "warehouse.bench.repeated_values", "--raw", str(tmp_path), "--database",
         str(tmp_path / "none.duckdb")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1
    assert "does not exist: run `make build`" in completed.stderr
    assert "Traceback" not in completed.stderr
