"""Incremental = full refresh: an incremental build after an append gives the same marts as a
fresh full build of the same raw data.

The scenario: generate a tiny data set, build it fully, append batch 1 (new orders, CDC status
changes of older orders, late refunds, new sessions and straddling events), add two CDC changes
the generator's first batch rarely contains but production always will (an order of the first
build deleted in the source, and an old order cancelled long after its lines were loaded, both
of customers with later orders, so those get renumbered; and the customer of the oldest order
re-delivered as a test account, which reaches their orders, lines and payments only through the
validation upstream, not through a reload; and a line re-delivered under another order, which
changes the totals of the order it left; and an order re-delivered under another customer, the
only order of the one it left; and a new session stamped before the first build's last
load, which only the look-back picks up), then run an incremental `dbt build` as `make build`
runs it on unchanged code: without the unit tests, keeping the views and seeds of the first
build (their data tests still run). Its orders read
their 20 oldest changed keys by value (var tally_changed_key_tail_size), so the tail branch runs
on this small data set too.
A second warehouse is built from scratch with `--full-refresh` on the same raw data.
Every mart must then agree: row count, the sum of every numeric column and a hash of its sorted
rows. On a mismatch the message lists a few rows only one side has.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from datagen.schema import TABLES
from warehouse.build import incremental_build_args

# Unit tests do not read the data (every other build runs them); data tests run once, on the
# incremental state.
NO_UNIT_TESTS = ("--exclude", "resource_type:unit_test")
NO_TESTS = ("--exclude", "resource_type:test", "resource_type:unit_test")
AS_MAKE_BUILD_ON_UNCHANGED_CODE = tuple(incremental_build_args(skip_unit_tests=True, keep_views_and_seeds=True))
# Small enough that this data set's changed orders have a tail (macro changed_key_tail).
SMALL_TAIL = ("--vars", "{tally_changed_key_tail_size: 20}")
# When the build that wrote a row started: differs between any two builds by design.
BOOKKEEPING = ("processed_at",)
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DECIMAL", "DOUBLE", "FLOAT", "REAL")


def _write_raw_file(raw: Path, table: str, query: str, part: str = "edge-cases") -> None:
    """One more raw file of `table` (e.g. shop.orders), named after `part`, with the rows of
    `query`, which reads the table's raw files through a view named after it (orders)."""
    source, name = table.split(".")
    folder = raw / source / name
    columns = ", ".join(TABLES[table].schema.names)
    with duckdb.connect() as con:
        con.execute(f"create view {name} as select * from read_parquet('{folder}/*.parquet', union_by_name = true)")
        written = folder / f"part-b0001-{part}.parquet"
        con.execute(f"copy (select {columns} from ({query}) as edge_case) to '{written}' (format parquet)")


def _append_edge_cases(raw: Path, database: Path, above: int) -> dict[str, int]:
    """Write one more raw file of shop.orders CDC rows: delete one order of the first build and
    cancel another, long after their lines were loaded. Both are the first order of a customer
    with at least three orders, so the customer's later orders are renumbered; both above order
    `above`, so they do not reach down to the moved line's order."""
    with duckdb.connect(str(database), read_only=True) as con:
        picked = con.execute(
            """
            select order_id
            from marts.fct_orders
            where customer_order_number = 1
              and customer_id in (
                  select customer_id from marts.fct_orders group by customer_id having max(customer_order_number) >= 3
              )
              and order_date < (select max(order_date) - interval 30 day from marts.fct_orders)
              and order_id > ?
            order by order_id
            limit 2
            """,
            [above],
        ).fetchall()
    assert len(picked) == 2, "the tiny data set has no customer with three orders to renumber"
    deleted, cancelled = (row[0] for row in picked)

    _write_raw_file(
        raw,
        "shop.orders",
        f"""
        with latest as (
            select * from orders
            where id in ({deleted}, {cancelled})
            qualify row_number() over (partition by id order by _cdc_lsn desc) = 1
        )
        select
            * replace (
                case when id = {cancelled} then 'cancelled' else status end as status,
                case when id = {deleted} then updated_at end as deleted_at,
                case when id = {deleted} then 'd' else 'u' end as _cdc_op,
                (select max(_cdc_lsn) from orders) + row_number() over (order by id) as _cdc_lsn,
                (select max(_loaded_at) from orders) + interval 1 hour as _loaded_at
            )
        from latest
        """,
    )
    return {"deleted": deleted, "cancelled": cancelled}


def _append_customer_edge_case(raw: Path, database: Path, above: int) -> dict[str, int]:
    """Re-deliver as a test account the customer with the oldest orders above order `above`.
    None of their orders is reloaded: they are judged again upstream only, and the facts must
    follow (processed_at)."""
    with duckdb.connect(str(database), read_only=True) as con:
        (customer_id,) = con.execute(
            """
            select customer_id from marts.fct_orders
            group by customer_id
            having not bool_or(is_test_account) and min(order_id) > ?
            order by min(order_id)
            limit 1
            """,
            [above],
        ).fetchone()
    _write_raw_file(
        raw,
        "shop.customers",
        f"""
        select
            * replace (
                'test' as account_type,
                (select max(_loaded_at) from customers) + interval 1 hour as _loaded_at
            )
        from customers where id = {customer_id}
        qualify row_number() over (order by _loaded_at desc) = 1
        """,
    )
    return {"test_account": customer_id}


def _append_moved_order(raw: Path, database: Path, edge_cases: dict[str, int]) -> dict[str, int]:
    """Re-deliver an old order, its customer's only one, under another customer: the customer it
    left has no order any more, which only int_orders_validated's moved_from_customer_id tells
    dim_customers. Above the order the moved line left, as the other order edge cases, and
    apart from them (not the line's new order, not the customer made a test account)."""
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            """
            with single as (
                select customer_id, min(order_id) as order_id from marts.fct_orders
                group by customer_id having count(*) = 1 and not bool_or(is_test_account)
            )
            select single.order_id, single.customer_id, (
                select min(customer_id) from marts.dim_customers
                where lifetime_orders > 0 and not is_test_account and customer_id not in (single.customer_id, ?)
            )
            from single
            inner join marts.fct_orders as orders on single.order_id = orders.order_id
            where orders.order_id > ? and orders.order_id <> ? and single.customer_id <> ?
              and orders.order_date < (select max(order_date) - interval 30 day from marts.fct_orders)
            order by orders.order_id
            limit 1
            """,
            [edge_cases["test_account"], edge_cases["moved_from"], edge_cases["moved_to"], edge_cases["test_account"]],
        ).fetchone()
    assert found, "the tiny data set has no old order that is its customer's only one"
    order_id, moved_from, moved_to = found
    _write_raw_file(
        raw,
        "shop.orders",
        f"""
        select
            * replace (
                {moved_to} as customer_id,
                (select max(_cdc_lsn) from orders) + 1 as _cdc_lsn,
                (select max(_loaded_at) from orders) + interval 1 hour as _loaded_at
            )
        from orders where id = {order_id}
        qualify row_number() over (order by _cdc_lsn desc) = 1
        """,
        part="moved-order",
    )
    return {"moved_order": order_id, "order_moved_from": moved_from, "order_moved_to": moved_to}


def _append_moved_line(raw: Path, database: Path) -> dict[str, int]:
    """Re-deliver a line of the oldest order with two lines under another old order of the same
    currency: both orders' totals change, though only the new one is named by the reloaded
    line. The other edge cases stay above the order it leaves, so only the move reaches it."""
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            """
            with candidates as (
                select order_id, currency_code from marts.fct_orders
                where item_count >= 2 and not is_test_account
                  and order_date < (select max(order_date) - interval 30 day from marts.fct_orders)
            )
            select lines.order_item_id, source.order_id, target.order_id
            from candidates as source
            inner join candidates as target
                on source.currency_code = target.currency_code and target.order_id > source.order_id
            inner join marts.fct_order_items as lines on lines.order_id = source.order_id
            order by source.order_id, target.order_id, lines.order_item_id
            limit 1
            """
        ).fetchone()
    assert found, "the tiny data set has no two old orders of one currency to move a line between"
    line, moved_from, moved_to = found
    _write_raw_file(
        raw,
        "shop.order_items",
        f"""
        select
            * replace (
                {moved_to} as order_id,
                (select max(_loaded_at) from order_items) + interval 1 hour as _loaded_at
            )
        from order_items where id = {line}
        qualify row_number() over (order by _loaded_at desc) = 1
        """,
    )
    return {"moved_line": line, "moved_from": moved_from, "moved_to": moved_to}


def _append_refund_edge_case(raw: Path, database: Path) -> dict[str, int]:
    """Deliver late a refund dated before an old order's only refund and larger than its
    payment: it is quarantined for exceeding the payment, and so is the refund after it, which
    leaves the order without a valid refund. Nothing else about the order is reloaded."""
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            """
            select refunds.order_id, refunds.refund_id
            from marts.fct_refunds as refunds
            where refunds.order_date < (select max(order_date) - interval 30 day from marts.fct_orders)
              and refunds.order_id in (select order_id from marts.fct_refunds group by order_id having count(*) = 1)
            order by refunds.order_id
            limit 1
            """
        ).fetchone()
    assert found, "the tiny data set has no old order with one refund"
    order_id, refund_id = found
    _write_raw_file(
        raw,
        "payments.refunds",
        f"""
        with paid as (
            select id, amount_minor from read_parquet('{raw}/payments/payments/*.parquet', union_by_name = true)
            qualify row_number() over (partition by id order by _loaded_at desc) = 1
        )
        select
            refunds.* replace (
                (select max(id) from refunds) + 1 as id,
                paid.amount_minor + 1 as amount_minor,
                refunds.created_at - interval 1 hour as created_at,
                (select max(_loaded_at) from refunds) + interval 1 hour as _loaded_at
            )
        from refunds
        inner join paid on refunds.payment_id = paid.id
        where refunds.id = {refund_id}
        qualify row_number() over (order by refunds._loaded_at desc) = 1
        """,
    )
    return {"refunds_quarantined": order_id}


def _append_web_edge_cases(raw: Path, database: Path) -> dict[str, int]:
    """Write raw web rows the generator's batches do not contain: an old session of the first
    build re-delivered with a start a month after its load (quarantined as future_timestamp, so
    its events, loaded long ago, become session_quarantined), a new session that lands out of
    order, stamped two hours before the first build's last load (within the look-back, var
    tally_incremental_lookback_days: above the mark alone it would be lost), and a new event of
    a session that never arrives (unknown_session)."""
    with duckdb.connect(str(database), read_only=True) as con:
        (session_id,) = con.execute(
            "select min(session_id) from marts.fct_sessions where event_count > 0"
        ).fetchone()
        (first_build_loaded,) = con.execute("select max(loaded_at) from intermediate.int_sessions_validated").fetchone()
    assert session_id is not None, "the tiny data set has no session with events"
    web = raw / "web"
    session_columns = ", ".join(TABLES["web.sessions"].schema.names)
    event_columns = ", ".join(TABLES["web.events"].schema.names)
    with duckdb.connect() as con:
        con.execute(f"create view sessions as select * from read_parquet('{web}/sessions/*.parquet', union_by_name = true)")
        con.execute(f"create view events as select * from read_parquet('{web}/events/*.parquet', union_by_name = true)")
        (loaded_at,) = con.execute("select max(_loaded_at) + interval 1 hour from sessions").fetchone()
        (late_session,) = con.execute("select max(id) + 1 from sessions").fetchone()
        con.execute(
            f"""
            copy (
                select {session_columns} from (
                    select * replace (
                        cast('{loaded_at}' as timestamp) + interval 30 day as started_at,
                        cast('{loaded_at}' as timestamp) as _loaded_at
                    )
                    from sessions where id = {session_id}
                    qualify row_number() over (order by _loaded_at desc) = 1
                )
                union all
                select {session_columns} from (
                    select * replace (
                        {late_session} as id,
                        cast('{first_build_loaded}' as timestamp) - interval 3 hour as started_at,
                        cast('{first_build_loaded}' as timestamp) - interval 2 hour as _loaded_at
                    )
                    from sessions where id = {session_id}
                    qualify row_number() over (order by _loaded_at desc) = 1
                )
            ) to '{web / "sessions" / "part-b0001-edge-cases.parquet"}' (format parquet)
            """
        )
        con.execute(
            f"""
            copy (
                select {event_columns} from (
                    select * replace (
                        (select max(id) + 1 from events) as id,
                        -1 as session_id,
                        cast('{loaded_at}' as timestamp) as _loaded_at
                    )
                    from events order by id desc limit 1
                )
            ) to '{web / "events" / "part-b0001-edge-cases.parquet"}' (format parquet)
            """
        )
    return {"future_session": session_id, "late_session": late_session}


def _mart_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        """
        select table_name, column_name, data_type
        from information_schema.columns
        where table_catalog = ? and table_schema = 'marts'
        order by table_name, ordinal_position
        """,
        [catalog],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        if column not in BOOKKEEPING:
            tables.setdefault(table, []).append((column, data_type))
    return tables


def _fingerprint(con: duckdb.DuckDBPyConnection, relation: str, columns: list[tuple[str, str]]) -> dict:
    numeric = [name for name, data_type in columns if data_type.upper().startswith(NUMERIC_TYPES)]
    sums = ", ".join(f'sum("{name}") as "{name}"' for name in numeric)
    row_count, *totals = con.execute(f"select count(*){', ' + sums if sums else ''} from {relation}").fetchone()
    (digest,) = con.execute(
        f"select md5(coalesce(string_agg(row_text, chr(10) order by row_text), '')) "
        f"from (select cast(t as varchar) as row_text from (select {_listed(columns)} from {relation}) as t)"
    ).fetchone()
    return {"rows": row_count, "sums": dict(zip(numeric, totals)), "hash": digest}


def _listed(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f'"{name}"' for name, _ in columns)


def _only_on_one_side(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]], limit: int = 6) -> str:
    listed = _listed(columns)
    found = con.execute(
        f"""
        (select 'incremental' as side, * from (select {listed} from inc.marts.{table} except all select {listed} from ref.marts.{table}) order by 2 limit {limit})
        union all
        (select 'full refresh' as side, * from (select {listed} from ref.marts.{table} except all select {listed} from inc.marts.{table}) order by 2 limit {limit})
        order by 2, 1
        """
    ).fetchall()
    return "\n".join(f"    {row}" for row in found)


@pytest.fixture(scope="module")
def builds(tmp_path_factory, shared):
    root = tmp_path_factory.mktemp("incremental")
    raw = shared.generate(root / "raw")
    incremental = shared.warehouse_dir(root, "incremental", raw)
    # With its data tests: a passing build records the changed-keys marks, so the second build
    # takes the paths that read from them (scoped tests, the web events' quarantine).
    shared.run_dbt(["build", *NO_UNIT_TESTS], incremental.env)

    subprocess.run(
        [str(shared.BIN / "tally-datagen"), "append", "--out", str(raw), "--batch", "1"],
        check=True, capture_output=True, text=True,
    )
    edge_cases = _append_moved_line(raw, incremental.database)
    edge_cases.update(_append_edge_cases(raw, incremental.database, above=edge_cases["moved_from"]))
    edge_cases.update(_append_web_edge_cases(raw, incremental.database))
    edge_cases.update(_append_customer_edge_case(raw, incremental.database, above=edge_cases["moved_from"]))
    edge_cases.update(_append_refund_edge_case(raw, incremental.database))
    edge_cases.update(_append_moved_order(raw, incremental.database, edge_cases))

    # Not checked here: a failing data test must not hide the comparison of the marts.
    incremental_build = shared.run_dbt(["build", *AS_MAKE_BUILD_ON_UNCHANGED_CODE, *SMALL_TAIL], incremental.env,
                                       check=False)
    reference = shared.warehouse_dir(root, "full_refresh", raw)
    shared.run_dbt(["build", "--full-refresh", *NO_TESTS], reference.env)
    return incremental, reference, edge_cases, incremental_build


def test_incremental_build_passes(builds):
    """Models and data tests (row accounting, keys, relationships) all pass on the incremental state."""
    completed = builds[3]
    tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-30:])
    assert completed.returncode == 0, f"incremental dbt build failed:\n{tail}"


def test_the_second_build_kept_the_views_and_seeds_and_ran_their_tests(builds):
    incremental = builds[0]
    ran = {r["unique_id"] for r in json.loads((incremental.target_dir / "run_results.json").read_text())["results"]}
    assert not [u for u in ran if u.startswith(("seed.", "model.tally.stg_"))], "a view or seed was created again"
    assert "model.tally.fct_orders" in ran
    for test in ("test.tally.unique_stg_shop__customers_customer_id.", "test.tally.not_null_stg_shop__orders_order_id.",
                 "test.tally.assert_currency_minor_units_var_matches_seed"):
        assert any(u.startswith(test) for u in ran), f"{test} did not run with its model kept"


def test_second_build_was_incremental(builds):
    """The second build merged into the existing facts (delete+insert), it did not recreate them."""
    incremental = builds[0]
    run = incremental.target_dir / "run" / "tally" / "models" / "marts"
    for path in ("sales/fct_orders.sql", "sales/fct_order_items.sql", "finance/fct_payments.sql", "growth/fct_sessions.sql"):
        executed = (run / path).read_text().lower()
        assert "delete from" in executed and "insert into" in executed, path
        assert "create table" not in executed, path
    quarantine = (run / "audit" / "fct_quarantined_rows.sql").read_text()
    assert "event_id >=" in quarantine, "the web events' quarantine was judged in full, not from the changed keys"
    compiled = incremental.target_dir / "compiled" / "tally" / "models"
    # changed_rows lists the keys alone; changed_keys_exactly adds the smallest, for row-group pruning
    tail = r"union all\s+select \* from \S+{}\S*\s+where\s+\(?(order_id >= \d+ and )?order_id in \(\d"
    for path, reads in (("intermediate/quality/int_orders_validated.sql", "stg_shop__orders"),
                        ("marts/sales/fct_orders.sql", "int_payments_allocated_to_orders")):
        assert re.search(tail.format(reads), (compiled / path).read_text().lower()), \
            f"{path}: the oldest changed orders were not read by value"


def test_every_mart_equals_a_full_refresh(builds):
    incremental, reference, edge_cases, _ = builds
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental.database}' as inc (read_only)")
        con.execute(f"attach '{reference.database}' as ref (read_only)")
        tables = _mart_tables(con, "ref")
        assert _mart_tables(con, "inc") == tables
        assert {"fct_orders", "fct_order_items", "fct_sessions"} <= set(tables)

        mismatches = []
        for table, columns in tables.items():
            got = _fingerprint(con, f"inc.marts.{table}", columns)
            want = _fingerprint(con, f"ref.marts.{table}", columns)
            if got != want:
                differing = {k: (got[k], want[k]) for k in ("rows", "hash") if got[k] != want[k]}
                differing.update({f"sum({c})": (got["sums"][c], want["sums"][c]) for c in want["sums"] if got["sums"][c] != want["sums"][c]})
                mismatches.append(f"{table}: {differing}\n{_only_on_one_side(con, table, columns)}")
        assert not mismatches, "incremental build differs from a full refresh (incremental, full):\n" + "\n".join(mismatches)

        (moved_to,) = con.execute(
            "select order_id from inc.marts.fct_order_items where order_item_id = ?", [edge_cases["moved_line"]]
        ).fetchone()
        assert moved_to == edge_cases["moved_to"], "the line re-delivered under another order did not move"
        flagged = con.execute(
            "select count(*), count(*) filter (where is_test_account) from inc.marts.fct_order_items where customer_id = ?",
            [edge_cases["test_account"]],
        ).fetchone()
        assert flagged[0] > 0 and flagged[0] == flagged[1], f"the customer who became a test account: {flagged}"
        refunds = con.execute(
            "select refund_count, refunded_amount_usd from inc.marts.fct_orders where order_id = ?",
            [edge_cases["refunds_quarantined"]],
        ).fetchone()
        assert refunds == (0, 0), f"the order whose refunds were all quarantined late still counts them: {refunds}"
        moved = con.execute(
            "select customer_id, lifetime_orders from inc.marts.dim_customers where customer_id in (?, ?) order by lifetime_orders",
            [edge_cases["order_moved_from"], edge_cases["order_moved_to"]],
        ).fetchall()
        assert moved[0] == (edge_cases["order_moved_from"], 0) and moved[1][0] == edge_cases["order_moved_to"], \
            f"order {edge_cases['moved_order']} moved customer, but dim_customers still counts it for the old one: {moved}"
        deleted = con.execute("select count(*) from inc.marts.fct_orders where order_id = ?", [edge_cases["deleted"]]).fetchone()[0]
        assert deleted == 0, f"order {edge_cases['deleted']} was deleted in the source but is still in fct_orders"

        late = con.execute("select count(*) from inc.marts.fct_sessions where session_id = ?", [edge_cases["late_session"]]).fetchone()[0]
        assert late == 1, f"session {edge_cases['late_session']}, landed out of order within the look-back, is not in fct_sessions"

        # The edge cases reached the quarantine (or the comparison above proved nothing for them).
        reasons = dict(con.execute(
            "select quarantine_reason, count(*) from inc.marts.fct_quarantined_rows"
            " where source_table = 'web.events' group by all"
        ).fetchall())
        assert reasons.get("session_quarantined", 0) > 0 and reasons.get("unknown_session", 0) == 1, reasons
