"""Dirty raw data: every defect class of `tally-datagen --defects` is quarantined with its reason,
or fails the build loudly, and every injected row is accounted for.

Two builds with `python -m warehouse build` (the same steps as `make build`, boards not rendered),
each in its own warehouse folder, dbt target and logs:

* every class but `duplicate_key` at once, on a tiny data set. The build must pass and publish:
  the faults are quarantined, not fatal. For each class the injected ids come from the
  manifest's `defects.injected`, and each injected row must be either in its mart or in
  `marts.fct_quarantined_rows` with the class's reason (never both, never neither), with as many
  versions as the raw data delivered; only injected rows carry the reason; and the row-accounting
  tests (`rows_reconcile`: rows in = rows out + rows quarantined) of the class's tables pass,
  re-run here on the published build.
* `duplicate_key` alone: two different rows claiming to be the same version of a record cannot
  be repaired by picking one, so the build must fail on the `no_conflicting_versions` tests,
  whose failing keys are exactly the injected ids, and publish nothing.

A defective row whose parent record is itself quarantined (a payment of an order with an unknown
currency) is held out with the parent's reason (`order_quarantined`): the test accepts that only
when the parent really is in quarantine.

One class is repaired rather than quarantined: an email whose only fault is a trailing space is
trimmed in staging (`stg_shop__customers`), so that customer keeps a valid email hash.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SCALE = "0.002"
# 0.02 rather than the default 0.01: enough malformed emails (four) for each of its four kinds.
RATE = "0.02"
BUILD_TIMEOUT = 1800  # s; a build takes 1-2 min here, much longer on a loaded machine
ALL_BUT_DUPLICATES = [
    "null_key", "orphan_fk", "negative_amount", "unknown_currency", "future_timestamp",
    "malformed_email", "refund_exceeds_payment", "late_arriving", "schema_drift",
]

# Where each source table's records end up: its mart and key (web events are counted into sessions).
MARTS = {
    "shop.customers": ("dim_customers", "customer_id"),
    "shop.orders": ("fct_orders", "order_id"),
    "shop.order_items": ("fct_order_items", "order_item_id"),
    "payments.payments": ("fct_payments", "payment_id"),
    "payments.refunds": ("fct_refunds", "refund_id"),
    "web.events": None,
}
# A record held out because its parent is: (parent table, foreign key, reason).
PARENTS = {
    "shop.order_items": ("shop.orders", "order_id", "order_quarantined"),
    "payments.payments": ("shop.orders", "order_id", "order_quarantined"),
    "payments.refunds": ("payments.payments", "payment_id", "payment_quarantined"),
    "web.events": ("web.sessions", "session_id", "session_quarantined"),
}


# --- a build of defective data -------------------------------------------------------------------


@dataclass
class DefectBuild:
    raw: Path
    home: Path
    completed: subprocess.CompletedProcess

    @property
    def output(self) -> str:
        return self.completed.stdout + self.completed.stderr

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse"

    @property
    def published(self) -> Path:
        return self.warehouse / "tally.duckdb"

    @cached_property
    def injected(self) -> dict:
        return json.loads((self.raw / "_manifest.json").read_text())["defects"]["injected"]

    def ids(self, cls: str, table: str) -> list[int]:
        entry = self.injected[cls][table]
        if "ids_file" in entry:  # more than 2,000 ids: a Parquet file under _defects/
            with duckdb.connect() as con:
                return [r[0] for r in con.execute(f"select id from read_parquet('{self.raw / entry['ids_file']}')").fetchall()]
        return entry["ids"]

    def run_results(self) -> list[dict]:
        return json.loads((self.home / "target" / "run_results.json").read_text())["results"]

    def connect(self) -> duckdb.DuckDBPyConnection:
        """The published build, read-only, with each raw table as a view raw_<source>_<table>."""
        con = duckdb.connect(str(self.published), read_only=True)
        for source_table in ("shop.customers", "shop.orders", "shop.order_items", "payments.payments",
                             "payments.refunds", "web.events"):
            folder = self.raw / source_table.replace(".", "/")
            con.execute(
                f"create temp view raw_{source_table.replace('.', '_')} as "
                f"select * from read_parquet('{folder}/*.parquet', union_by_name = true)"
            )
        return con


def _build(generate, root: Path, name: str, classes: str) -> DefectBuild:
    raw = generate(root / f"{name}-raw", SCALE, 42, "--defects", classes, "--defect-rate", RATE)
    home = root / name
    env = {
        **os.environ,
        "TALLY_RAW_DIR": str(raw),
        "TALLY_WAREHOUSE_DIR": str(home / "warehouse"),
        "DBT_TARGET_PATH": str(home / "target"),
        "DBT_LOG_PATH": str(home / "logs"),
        "TALLY_BOARDS_DIR": str(home / "boards"),
        "DO_NOT_TRACK": "1",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "warehouse", "build", "--skip", "render-boards"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )
    return DefectBuild(raw, home, completed)


@pytest.fixture(scope="module")
def defective(tmp_path_factory, generate_raw) -> DefectBuild:
    """Every class but duplicate_key, built and published."""
    build = _build(generate_raw, tmp_path_factory.mktemp("defects"), "quarantined",
                   ",".join(ALL_BUT_DUPLICATES))
    tail = "\n".join(build.output.splitlines()[-40:])
    assert build.completed.returncode == 0, f"the build with quarantinable defects failed:\n{tail}"
    return build


@pytest.fixture(scope="module")
def duplicated(tmp_path_factory, generate_raw) -> DefectBuild:
    """duplicate_key alone: the build must fail."""
    return _build(generate_raw, tmp_path_factory.mktemp("defects"), "duplicated", "duplicate_key")


# --- accounting for injected rows ------------------------------------------------------------------


@dataclass
class Ledger:
    """Where the injected rows of one class in one table went."""

    rows_in: int  # raw rows delivered for the injected ids
    out: set  # ids in the mart
    quarantined: dict  # id -> (reason, versions) of whole-record quarantine
    values: dict  # id -> reason of value-level quarantine

    @property
    def rows_quarantined(self) -> int:
        return sum(versions for _, versions in self.quarantined.values())


def ledger(con: duckdb.DuckDBPyConnection, table: str, ids: list[int]) -> Ledger:
    con.execute("create or replace temp table injected (id bigint)")
    con.executemany("insert into injected values (?)", [(i,) for i in ids])
    raw = f"raw_{table.replace('.', '_')}"
    (rows_in,) = con.execute(f"select count(*) from {raw} where id in (select id from injected)").fetchone()
    quarantined, values = {}, {}
    for record_id, reason, scope, versions in con.execute(
        """
        select cast(record_id as bigint), quarantine_reason, quarantine_scope, versions_delivered
        from marts.fct_quarantined_rows
        where source_table = ? and cast(record_id as bigint) in (select id from injected)
        """,
        [table],
    ).fetchall():
        target = quarantined if scope == "record" else values
        assert record_id not in target, f"{table} {record_id} is quarantined twice ({scope})"
        target[record_id] = (reason, versions) if scope == "record" else reason
    out = set()
    if MARTS[table]:
        mart, key = MARTS[table]
        out = {r[0] for r in con.execute(f"select {key} from marts.{mart} where {key} in (select id from injected)").fetchall()}
    return Ledger(rows_in, out, quarantined, values)


def assert_accounted(con, build: DefectBuild, cls: str, table: str, expected_reason) -> Ledger:
    """Every injected row of `cls` in `table` is in its mart or quarantined (not both, not
    neither), quarantined with `expected_reason(id)` or its parent's reason when the parent is
    quarantined, with all the versions the raw data delivered; and the manifest's row count is
    what the raw data holds."""
    entry = build.injected[cls][table]
    ids = build.ids(cls, table)
    assert len(ids) == entry["distinct_ids"] > 0
    book = ledger(con, table, ids)
    assert book.rows_in == entry["rows"], f"{cls} {table}: the raw data has {book.rows_in} rows, the manifest {entry['rows']}"

    both = book.out & set(book.quarantined)
    neither = set(ids) - book.out - set(book.quarantined)
    assert not both, f"{cls} {table}: in the mart and quarantined: {sorted(both)[:10]}"
    assert not neither, f"{cls} {table}: neither in the mart nor quarantined: {sorted(neither)[:10]}"

    parent_reason = held_by_parent(con, table, [i for i, (reason, _) in book.quarantined.items()
                                                if PARENTS.get(table, (None, None, None))[2] == reason])
    wrong = {}
    for record_id, (reason, _) in book.quarantined.items():
        want = expected_reason(record_id)
        if reason != want and not parent_reason.get(record_id):
            wrong[record_id] = (reason, want)
    assert not wrong, f"{cls} {table}: quarantined with another reason (got, expected): {dict(list(wrong.items())[:10])}"

    # Rows in = rows out + rows quarantined, for this class's rows: every delivered version of a
    # quarantined record is counted by its versions_delivered.
    (rows_out,) = con.execute(
        f"select count(*) from raw_{table.replace('.', '_')} where id in ({','.join(map(str, book.out)) or 'null'})"
    ).fetchone()
    assert book.rows_in == rows_out + book.rows_quarantined, (
        f"{cls} {table}: rows in {book.rows_in} <> rows out {rows_out} + rows quarantined {book.rows_quarantined}"
    )
    return book


def held_by_parent(con, table: str, ids: list[int]) -> dict[int, bool]:
    """For records quarantined with their parent's reason: is the parent really quarantined?"""
    if not ids:
        return {}
    parent_table, fk, _ = PARENTS[table]
    rows = con.execute(
        f"""
        select child.id, exists (
            select 1 from marts.fct_quarantined_rows as q
            where q.source_table = ? and q.quarantine_scope = 'record' and q.record_id = cast(child.{fk} as varchar)
        )
        from (select distinct id, {fk} from raw_{table.replace('.', '_')} where id in ({','.join(map(str, ids))})) as child
        """,
        [parent_table],
    ).fetchall()
    return dict(rows)


def assert_reason_only_on_injected(con, table: str, reason: str, injected_ids: set[int]) -> None:
    """No false positives: only injected rows carry the class's reason."""
    found = {r[0] for r in con.execute(
        "select cast(record_id as bigint) from marts.fct_quarantined_rows where source_table = ? and quarantine_reason = ?",
        [table, reason],
    ).fetchall()}
    assert found <= injected_ids, f"{table}: rows quarantined as {reason} that were not injected: {sorted(found - injected_ids)[:10]}"


def reconcile_tests(build: DefectBuild) -> dict[str, str]:
    """{source table: the compiled SQL of its rows_reconcile test}, from the build's dbt artifacts."""
    manifest = json.loads((build.home / "target" / "manifest.json").read_text())
    compiled = {r["unique_id"]: r.get("compiled_code") for r in build.run_results()}
    tests = {}
    for unique_id, node in manifest["nodes"].items():
        meta = node.get("test_metadata") or {}
        if meta.get("name") == "rows_reconcile" and compiled.get(unique_id):
            tests[meta["kwargs"]["source_table"]] = compiled[unique_id]
    return tests


def assert_rows_reconcile(con, build: DefectBuild, *tables: str) -> None:
    """The build passed every test, and each table's rows_reconcile test finds nothing on the
    published build (re-run from its compiled SQL): rows in = rows out + rows quarantined."""
    record = json.loads(next((build.warehouse / "builds").glob("*/build.json")).read_text())
    assert record["dbt"]["failed"] == []
    tests = reconcile_tests(build)
    for table in tables:
        ledger_rows = con.execute(tests[table]).fetchall()
        assert ledger_rows == [], f"rows_reconcile on {table} does not reconcile: {ledger_rows}"


# --- one test per class --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def con(defective):
    with defective.connect() as connection:
        yield connection


def test_the_build_with_quarantinable_defects_publishes(defective):
    """Quarantinable faults are not fatal: every model and test passed and the build is served.
    The staging key tests (severity warn) warn about the NULL keys, and status says so rather
    than counting them as not passed."""
    assert "Published build" in defective.output
    dbt = json.loads(next((defective.warehouse / "builds").glob("*/build.json")).read_text())["dbt"]
    assert dbt["failed"] == [] and dbt["tests_warned"] > 0
    assert dbt["tests_passed"] + dbt["tests_warned"] == dbt["tests"] > 0
    status = subprocess.run([sys.executable, "-m", "warehouse", "status"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "TALLY_WAREHOUSE_DIR": str(defective.warehouse)})
    assert f"{dbt['tests_passed']}/{dbt['tests']} passed, {dbt['tests_warned']} warned" in status.stdout


def test_duplicate_key_fails_the_build_naming_the_keys(duplicated):
    """Two different rows with one key and one version marker (orders: one CDC log position)
    fail the build on no_conflicting_versions, per table, and the failing keys are exactly the
    injected ids. Nothing is published."""
    assert duplicated.completed.returncode == 1, duplicated.output[-3000:]
    assert "BUILD FAILED at step 'dbt build'" in duplicated.output
    assert "Nothing was published" in duplicated.output
    assert not duplicated.published.exists() and not list((duplicated.warehouse / "builds").glob("*"))
    assert not list((duplicated.warehouse / "private").glob("*")), "the failed build's private copy was left behind"

    failed = {r["unique_id"]: r for r in duplicated.run_results() if r["status"] == "fail"}
    manifest = json.loads((duplicated.home / "target" / "manifest.json").read_text())
    by_table = {}
    for unique_id, result in failed.items():
        node = manifest["nodes"][unique_id]
        assert node["test_metadata"]["name"] == "no_conflicting_versions", f"another test failed: {unique_id}"
        source = manifest["sources"][node["depends_on"]["nodes"][0]]
        by_table[f"{source['source_name']}.{source['name']}"] = result
        assert unique_id in duplicated.output, f"the build output does not name {unique_id}"
    assert set(by_table) == set(duplicated.injected["duplicate_key"])

    with duckdb.connect() as con:
        for table, result in by_table.items():
            ids = duplicated.ids("duplicate_key", table)
            assert result["failures"] == len(ids)
            keys = sorted(r[0] for r in con.execute(result["compiled_code"]).fetchall())
            assert keys == sorted(ids), f"{table}: the test names {keys[:10]}, the manifest {ids[:10]}"
            for key in keys[:5]:  # the build prints each failed test's first rows
                assert f"      record_key={key}, version=" in duplicated.output, f"the output does not name {key}"


def test_null_key(con, defective):
    """A row without a key cannot be matched or de-duplicated: each is quarantined as null_key
    (staging keeps every NULL-keyed row, so the count is exact)."""
    for table, entry in defective.injected["null_key"].items():
        (quarantined,) = con.execute(
            "select count(*) from marts.fct_quarantined_rows where source_table = ? and quarantine_reason = 'null_key'"
            " and record_id is null and quarantine_scope = 'record' and versions_delivered = 1",
            [table],
        ).fetchone()
        (raw_null,) = con.execute(f"select count(*) from raw_{table.replace('.', '_')} where id is null").fetchone()
        assert quarantined == raw_null == entry["rows"] > 0, table
    assert_rows_reconcile(con, defective, *defective.injected["null_key"])


def test_orphan_fk(con, defective):
    """A line of an unknown order or product, a payment of an unknown order, a refund of an
    unknown payment: quarantined as unknown_order / unknown_product / unknown_payment."""
    orders = {r[0] for r in con.execute("select distinct id from raw_shop_orders").fetchall()}
    item_orders = dict(con.execute("select id, order_id from raw_shop_order_items").fetchall())
    reasons = {
        "shop.order_items": lambda i: "unknown_order" if item_orders[i] not in orders else "unknown_product",
        "payments.payments": lambda i: "unknown_order",
        "payments.refunds": lambda i: "unknown_payment",
    }
    for table, reason in reasons.items():
        book = assert_accounted(con, defective, "orphan_fk", table, reason)
        assert not book.out, f"orphans reached the mart: {sorted(book.out)[:10]}"
    for table, reason in (("payments.payments", "unknown_order"), ("payments.refunds", "unknown_payment")):
        assert_reason_only_on_injected(con, table, reason, set(defective.ids("orphan_fk", table)))
    assert_rows_reconcile(con, defective, *reasons)


def test_negative_amount(con, defective):
    """A negated quantity is quarantined as non_positive_quantity, a negated price or payment
    amount as negative_amount."""
    quantities = dict(con.execute("select id, try_cast(quantity as bigint) from raw_shop_order_items where id is not null").fetchall())
    reasons = {
        "shop.order_items": lambda i: "non_positive_quantity" if quantities[i] < 0 else "negative_amount",
        "payments.payments": lambda i: "negative_amount",
    }
    for table, reason in reasons.items():
        book = assert_accounted(con, defective, "negative_amount", table, reason)
        assert not book.out
        assert_reason_only_on_injected(con, table, "negative_amount", set(defective.ids("negative_amount", table)))
    assert_reason_only_on_injected(con, "shop.order_items", "non_positive_quantity",
                                   set(defective.ids("negative_amount", "shop.order_items")))
    assert_rows_reconcile(con, defective, *reasons)


def test_unknown_currency(con, defective):
    """An order or payment in XXX, EURO, US$ or BTC cannot be converted: unknown_currency (an
    order with all its CDC versions)."""
    for table in ("shop.orders", "payments.payments"):
        book = assert_accounted(con, defective, "unknown_currency", table, lambda i: "unknown_currency")
        assert not book.out
        assert_reason_only_on_injected(con, table, "unknown_currency", set(defective.ids("unknown_currency", table)))
    assert_rows_reconcile(con, defective, "shop.orders", "payments.payments")


def test_future_timestamp(con, defective):
    """An order placed, a payment attempted or an event occurring years after it was loaded:
    future_timestamp."""
    for table in ("shop.orders", "payments.payments", "web.events"):
        book = assert_accounted(con, defective, "future_timestamp", table, lambda i: "future_timestamp")
        assert not book.out
        assert_reason_only_on_injected(con, table, "future_timestamp", set(defective.ids("future_timestamp", table)))
    assert_rows_reconcile(con, defective, "shop.orders", "payments.payments", "web.events")


def test_malformed_email(con, defective):
    """A malformed email ('a at b.com', 'a@@b.com', truncated) is quarantined as a value: the
    customer stays in dim_customers without an email hash. An email whose only fault is a
    trailing space is repaired by staging's trim: not quarantined, hashed like any email."""
    ids = defective.ids("malformed_email", "shop.customers")
    book = assert_accounted(con, defective, "malformed_email", "shop.customers", lambda i: None)
    assert not book.quarantined and book.out == set(ids), "a malformed email cost the customer its record"

    emails = dict(con.execute(
        f"select id, email from raw_shop_customers where id in ({','.join(map(str, ids))})"
    ).fetchall())
    hashes = dict(con.execute(
        f"select customer_id, email_hash from marts.dim_customers where customer_id in ({','.join(map(str, ids))})"
    ).fetchall())
    kinds = Counter()
    for customer_id, email in emails.items():
        if email != email.rstrip() and email.strip().count("@") == 1:
            kinds["trailing space"] += 1
            (expected_hash,) = con.execute("select md5(lower(trim(?)))", [email]).fetchone()
            assert customer_id not in book.values, f"{email!r} was repaired, not malformed"
            assert hashes[customer_id] == expected_hash
        else:
            kinds["at" if " at " in email else "@@" if "@@" in email else "truncated"] += 1
            assert book.values.get(customer_id) == "malformed_email", f"{email!r} was not quarantined"
            assert hashes[customer_id] is None, f"{email!r} reached the mart as a hash"
    assert set(kinds) == {"trailing space", "at", "@@", "truncated"}, kinds
    (values,) = con.execute(
        "select count(*) from marts.fct_quarantined_rows where quarantine_reason = 'malformed_email'"
    ).fetchone()
    assert values == len(ids) - kinds["trailing space"]
    assert_rows_reconcile(con, defective, "shop.customers")


def test_refund_exceeds_payment(con, defective):
    """A refund that takes the payment's refunded total above the amount paid is quarantined,
    not capped."""
    book = assert_accounted(con, defective, "refund_exceeds_payment", "payments.refunds",
                            lambda i: "refund_exceeds_payment")
    assert not book.out
    assert_reason_only_on_injected(con, "payments.refunds", "refund_exceeds_payment",
                                   set(defective.ids("refund_exceeds_payment", "payments.refunds")))
    assert_rows_reconcile(con, defective, "payments.refunds")


def test_late_arriving(con, defective):
    """An order or payment first loaded after its month closed (the first of the next month plus
    var tally_month_close_days) does not restate the closed month: late_for_closed_month."""
    for table in ("shop.orders", "payments.payments"):
        book = assert_accounted(con, defective, "late_arriving", table, lambda i: "late_for_closed_month")
        assert not book.out
        assert_reason_only_on_injected(con, table, "late_for_closed_month", set(defective.ids("late_arriving", table)))
    assert_rows_reconcile(con, defective, "shop.orders", "payments.payments")


def test_schema_drift(con, defective):
    """Order lines from a newer shop release (an extra gift_wrap column, quantity as text) are
    read with the rest (union_by_name). A quantity that is a number flows on as one; one that is
    not ('two', 'a few') is quarantined as invalid_quantity."""
    entry = defective.injected["schema_drift"]["shop.order_items"]
    drift = dict(con.execute(
        "select id, quantity from read_parquet(?) ", [str(next((defective.raw / "shop" / "order_items").glob("*drift*.parquet")))]
    ).fetchall())
    numeric = {i: int(q) for i, q in drift.items() if q.strip().lstrip("-").isdigit()}
    assert len(drift) - len(numeric) == entry["non_numeric_quantity"] > 0
    book = assert_accounted(
        con, defective, "schema_drift", "shop.order_items",
        lambda i: "invalid_quantity" if i not in numeric else "non_positive_quantity" if numeric[i] <= 0 else None,
    )
    assert book.out <= set(numeric), "a line with a non-numeric quantity reached the mart"
    quantities = dict(con.execute(
        f"select order_item_id, quantity from marts.fct_order_items where order_item_id in ({','.join(map(str, book.out))})"
    ).fetchall())
    assert quantities == {i: numeric[i] for i in book.out}
    assert_reason_only_on_injected(con, "shop.order_items", "invalid_quantity", set(drift))
    assert_rows_reconcile(con, defective, "shop.order_items")


def without_one_record(sql: str, relation: str, key: str, record_id: int) -> str:
    """The compiled SQL with one relation read as if it had lost one record."""
    name = re.compile(r'(?:"?\w+"?\.){1,2}"?' + relation + r'(?!\w)"?')
    assert name.search(sql), f"the test does not read {relation}"
    return name.sub(lambda m: f"(select * from {m.group(0)} where {key} <> {record_id})", sql)


@pytest.mark.parametrize("relation", ["int_orders_validated", "fct_orders"])
def test_rows_reconcile_fails_on_a_lost_record(con, defective, relation):
    """rows_reconcile counts staged records on the validation table, not on the staging view (whose
    CDC window would run once more). A record lost between staging and validation, or between
    validation and the mart, must still fail it: one valid order is taken out of each in turn."""
    sql = reconcile_tests(defective)["shop.orders"]
    (record_id,) = con.execute("select min(order_id) from marts.fct_orders").fetchone()
    ledger_rows = con.execute(without_one_record(sql, relation, "order_id", record_id)).fetchall()
    assert len(ledger_rows) == 1, f"rows_reconcile missed an order lost from {relation}"
