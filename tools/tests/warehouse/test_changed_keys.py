"""Data tests on incremental builds read the keys delivered since the last complete, passing build
(macros/project/changed_keys.sql).

One tiny warehouse: a full `dbt build` records each opted-in source's mark; batch 1 is appended.
Then, with raw files added and removed between runs:

* a key repeated in the new range fails the scoped unique test, which read the new range only;
* a key repeated among records of the first build is outside that range: the scoped test does
  not read it (the documented trade), `tally_test_changed_keys_only: false` does and fails;
* neither a failing run nor a selection moves the marks; a complete, passing incremental build
  moves them to what the sources held when it started.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest

UNIQUE_EVENTS = "unique_stg_web__events_event_id"
NO_UNIT_TESTS = ("--exclude", "resource_type:unit_test")
SCOPED_SOURCES = {"payments.payments", "payments.refunds", "shop.customers", "shop.order_items", "shop.orders", "web.events",
                  "web.sessions"}
PROCESSED_AT = "tally.processed_at"  # the models' processed_at stamps, kept beside the sources
RECONCILES = "assert_order_revenue_reconciles_with_order_lines"


def _marks(database: Path) -> dict[str, object]:
    with duckdb.connect(str(database), read_only=True) as con:
        return dict(con.execute("select source_name, loaded_through from tally_state.tested_through").fetchall())


def _events_max_loaded_at(raw: Path):
    with duckdb.connect() as con:
        return con.execute(
            f"select max(_loaded_at) from read_parquet('{raw}/web/events/*.parquet', union_by_name = true)"
        ).fetchone()[0]


def _repeat_event(raw: Path, which: str) -> Path:
    """Deliver one event again under its id with other content: the newest event (`which`
    'new') or the oldest one ('old'), in a raw file of its own."""
    events = raw / "web" / "events"
    order = "desc" if which == "new" else "asc"
    extra = events / f"part-repeat-{which}.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"""
            copy (
                select * replace ('repeated/' || page_path as page_path)
                from read_parquet('{events}/*.parquet', union_by_name = true)
                order by id {order}
                limit 1
            ) to '{extra}' (format parquet)
            """
        )
    return extra


def _test_scoped_and_in_full(shared, build, test: str):
    """`dbt test` of one test as an incremental build scopes it, then reading every key."""
    scoped = shared.run_dbt(["test", "--select", test], build.env, check=False)
    everything = shared.run_dbt(
        ["test", "--select", test, "--vars", "{tally_test_changed_keys_only: false}"], build.env, check=False,
    )
    return scoped, everything


def _compiled(build, name: str) -> str:
    found = list((build.target_dir / "run").rglob(f"{name}.sql"))
    assert found, f"no compiled SQL for {name}"
    return found[0].read_text()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, shared):
    root = tmp_path_factory.mktemp("changed_keys")
    raw = shared.generate(root / "raw")
    build = shared.warehouse_dir(root, "warehouse", raw)
    shared.run_dbt(["build", *NO_UNIT_TESTS], build.env)
    first_marks = _marks(build.database)
    first_max = _events_max_loaded_at(raw)
    subprocess.run(
        [str(shared.BIN / "tally-datagen"), "append", "--out", str(raw), "--batch", "1"],
        check=True, capture_output=True, text=True,
    )
    return shared, build, raw, first_marks, first_max


def test_a_passing_full_build_records_every_opted_in_source(warehouse):
    _, _, _, first_marks, first_max = warehouse
    assert set(first_marks) == SCOPED_SOURCES | {PROCESSED_AT}
    assert first_marks["web.events"] == first_max


def test_a_repeated_new_key_fails_the_scoped_test(warehouse):
    shared, build, raw, first_marks, _ = warehouse
    extra = _repeat_event(raw, "new")
    try:
        completed = shared.run_dbt(["test", "--select", UNIQUE_EVENTS], build.env, check=False)
    finally:
        extra.unlink()
    assert completed.returncode != 0, "the repeated event id in the new range was not reported"
    assert "event_id >=" in _compiled(build, UNIQUE_EVENTS), "the test did not read from the changed keys on"
    assert _marks(build.database) == first_marks, "a failing run moved the marks"


def test_a_repeated_old_key_is_outside_the_scope_unless_asked(warehouse):
    shared, build, raw, first_marks, _ = warehouse
    extra = _repeat_event(raw, "old")
    try:
        scoped, everything = _test_scoped_and_in_full(shared, build, UNIQUE_EVENTS)
    finally:
        extra.unlink()
    assert scoped.returncode == 0, "the scoped test read keys tested by the last passing build"
    assert everything.returncode != 0, "tally_test_changed_keys_only: false did not read every key"
    assert "event_id >=" not in _compiled(build, UNIQUE_EVENTS)
    assert _marks(build.database) == first_marks, "a selected run moved the marks"


def test_a_complete_passing_incremental_build_moves_the_marks(warehouse):
    shared, build, raw, first_marks, first_max = warehouse
    new_max = _events_max_loaded_at(raw)
    assert new_max > first_max, "batch 1 added no events"
    shared.run_dbt(["build", *NO_UNIT_TESTS], build.env)
    assert "event_id >=" in _compiled(build, UNIQUE_EVENTS)
    assert "processed_at >" in _compiled(build, RECONCILES), "the singular test read every order"
    marks = _marks(build.database)
    assert set(marks) == SCOPED_SOURCES | {PROCESSED_AT}
    assert marks["web.events"] == new_max
    assert all(marks[name] >= first_marks[name] for name in SCOPED_SOURCES)
    assert marks[PROCESSED_AT] > first_marks[PROCESSED_AT]
    with duckdb.connect(str(build.database), read_only=True) as con:
        written = con.execute("select max(processed_at) from marts.fct_orders").fetchone()[0]
    assert marks[PROCESSED_AT] == written, "the mark is not the start of the build that passed"


def test_a_read_only_warehouse_is_tested_in_full(warehouse):
    """`dbt test` on a read-only file (the published warehouse): the hooks write nothing, and a
    test never reads the scope an earlier invocation left, so every key is read."""
    shared, build, _, _, _ = warehouse
    marks = _marks(build.database)
    read_only = {**build.env, "TALLY_DUCKDB_READ_ONLY": "True"}
    completed = shared.run_dbt(["test", "--select", UNIQUE_EVENTS], read_only, check=False)
    assert completed.returncode == 0, completed.stdout[-2000:]
    assert "event_id >=" not in _compiled(build, UNIQUE_EVENTS)
    assert _marks(build.database) == marks


def _break_an_order(database: Path, written: bool) -> int:
    """Give one order a line count its lines do not have: the newest order, stamped as written
    after the last tested build (`written`), or the oldest one, left as that build tested it."""
    with duckdb.connect(str(database)) as con:
        order = "desc" if written else "asc"
        order_id = con.execute(f"select order_id from marts.fct_orders order by order_id {order} limit 1").fetchone()[0]
        stamp = ", processed_at = processed_at + interval 1 minute" if written else ""
        con.execute(f"update marts.fct_orders set item_count = item_count + 1{stamp} where order_id = ?", [order_id])
    return order_id


def _mend_order(database: Path, order_id: int) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute("update marts.fct_orders set item_count = item_count - 1 where order_id = ?", [order_id])


def test_a_singular_test_reads_the_rows_written_since_the_last_tested_build(warehouse):
    """assert_order_revenue_reconciles_with_order_lines, scoped by processed_at: an order
    written since the last passing build that disagrees with its lines fails it; one the last
    passing build tested is not read again, unless every key is asked for."""
    shared, build, _, _, _ = warehouse
    new_order = _break_an_order(build.database, written=True)
    try:
        written = shared.run_dbt(["test", "--select", RECONCILES], build.env, check=False)
    finally:
        _mend_order(build.database, new_order)
    assert written.returncode != 0, "an order written since the last passing build was not checked"
    assert "processed_at >" in _compiled(build, RECONCILES)

    old_order = _break_an_order(build.database, written=False)
    try:
        scoped, everything = _test_scoped_and_in_full(shared, build, RECONCILES)
    finally:
        _mend_order(build.database, old_order)
    assert scoped.returncode == 0, "the scoped test read orders the last passing build tested"
    assert everything.returncode != 0, "tally_test_changed_keys_only: false did not read every order"
