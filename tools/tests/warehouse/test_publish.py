"""Write-audit-publish: the faults a published warehouse must survive.

Every build here is `python -m warehouse build --skip render-boards` (what `make build` runs,
without board images) in a subprocess, on tiny generated data, in a warehouse folder, dbt target
and logs of its own. Builds are shared between tests through module fixtures, in two warehouses:

    raw0   generated data          raw1   raw0 + `tally-datagen append --batch 1`
    W1     B1 full on raw0, a build killed halfway, B2 incremental on raw1
    W2     B3 full on raw1, B4 full refresh on raw0 while readers read, a failing build, rollback

and the tests check:

* readers during a rebuild (B4): reader processes open the stable path afresh for every read and
  checksum every mart and read meta.build_info; no read fails, every read's marts are those of
  the build it names (a checksum table per build), and reads after the publish see the new
  build. A process holding the published file open for the whole rebuild does not block it, and
  `dct serve` keeps answering.
* a killed build (SIGKILL halfway through dbt): the published link and file are byte-identical,
  no lock or leftover blocks the next build, which succeeds and publishes.
* a failing test (one raw product row without an id): the build exits non-zero, names the test,
  says which build is still served, and publishes nothing.
* determinism: two full builds of the same data publish the same marts (B1 = B4), and an
  incremental build publishes what a full refresh of the same data does (B2 = B3).
* rollback and status.

A mart's checksum is its row count, the sum of each numeric column and the sum of the hashes of
its rows (order-independent). This file also runs as a script, the reader processes:

    python test_publish.py read <database> <out.jsonl> <stop-file>
    python test_publish.py hold <database> <out.json> <stop-file>
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "DECIMAL")
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
READ_INTERVAL = 0.2  # s between a reader's reads: steady pressure without starving the build


# --- checksums and readers (also run as separate processes) ------------------------------------------


def mart_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{mart: 'rows|sum of each numeric column|sum of row hashes'} for every table in `marts`."""
    columns = con.execute(
        """
        select table_name, column_name, data_type
        from information_schema.columns
        where table_catalog = current_database() and table_schema = 'marts'
        order by table_name, ordinal_position
        """
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in columns:
        # processed_at: when the build that wrote the row started, different in every build
        if column != "processed_at":
            tables.setdefault(table, []).append((column, data_type.upper()))
    checksums = {}
    for table, cols in tables.items():
        parts = ["count(*)"]
        for name, data_type in cols:
            if data_type.startswith(NUMERIC_TYPES):
                parts.append(f'sum("{name}")')
            elif data_type.startswith(FLOAT_TYPES):  # summation order must not matter
                parts.append(f'round(sum("{name}"), 6)')
        parts.append("sum(hash(t)::hugeint)")
        listed = ", ".join(f'"{name}"' for name, _ in cols)
        row = con.execute(f'select {", ".join(parts)} from (select {listed} from marts."{table}") as t').fetchone()
        checksums[table] = "|".join(str(v) for v in row)
    return checksums


def read_once(database: str) -> dict:
    """One reader's read: open the path afresh, read the build id and every mart's checksum."""
    record: dict = {"started": time.time()}
    try:
        con = duckdb.connect(database, read_only=True)
        try:
            record["build_id"] = con.execute("select build_id from meta.build_info").fetchone()[0]
            record["checksums"] = mart_checksums(con)
        finally:
            con.close()
    except Exception as exc:  # every failure is a finding: record it, keep reading
        record["error"] = f"{type(exc).__name__}: {exc}"
    record["finished"] = time.time()
    return record


def read_loop(database: str, out: str, stop: str) -> None:
    with open(out, "a") as sink:
        while not os.path.exists(stop):
            sink.write(json.dumps(read_once(database)) + "\n")
            sink.flush()
            time.sleep(READ_INTERVAL)


def hold(database: str, out: str, stop: str) -> None:
    """Like a DuckDB CLI left open: one read-only connection for the whole rebuild, queried now
    and then. It keeps reading the build it opened."""
    con = duckdb.connect(database, read_only=True)
    seen, errors, reads = set(), [], 0
    first = con.execute("select build_id from meta.build_info").fetchone()[0]
    checksums = mart_checksums(con)
    Path(out + ".ready").write_text(first)
    while not os.path.exists(stop):
        try:
            seen.add(con.execute("select build_id from meta.build_info").fetchone()[0])
            con.execute("select count(*) from marts.fct_orders").fetchone()
            reads += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.5)
    unchanged = mart_checksums(con) == checksums
    con.close()
    Path(out).write_text(json.dumps({"first": first, "seen": sorted(seen), "errors": errors, "reads": reads,
                                     "unchanged": unchanged}))



# --- warehouses ---------------------------------------------------------------------------------


BUILD_TIMEOUT = 1800  # s; a tiny build takes 1-2 min, much longer on a loaded machine


@dataclass
class Built:
    """A finished `python -m warehouse build`."""

    returncode: int
    output: str
    build_id: str | None  # the published build, when it published
    seconds: float

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


@dataclass
class Home:
    """One warehouse folder with its own dbt target and logs: what TALLY_WAREHOUSE_DIR isolates."""

    root: Path
    checksums: dict[str, dict[str, str]] = field(default_factory=dict)  # build id -> mart -> checksum

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def published(self) -> Path:
        return self.warehouse / "tally.duckdb"

    def env(self, raw: Path) -> dict[str, str]:
        return {
            **os.environ,
            "TALLY_RAW_DIR": str(raw),
            "TALLY_WAREHOUSE_DIR": str(self.warehouse),
            "DBT_TARGET_PATH": str(self.root / "target"),
            "DBT_LOG_PATH": str(self.root / "logs"),
            "TALLY_BOARDS_DIR": str(self.root / "boards"),
            "DO_NOT_TRACK": "1",
        }

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "warehouse", *args]

    def build(self, raw: Path, *args: str) -> Built:
        started = time.monotonic()
        completed = subprocess.run(
            self.command("build", "--skip", "render-boards", *args), cwd=ROOT, env=self.env(raw),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=BUILD_TIMEOUT,
        )
        return self._finished(completed.returncode, completed.stdout, time.monotonic() - started)

    def start(self, raw: Path, log: Path, *args: str) -> subprocess.Popen:
        """A build in the background, leading its own process group, its output in `log`."""
        with open(log, "w") as sink:
            return subprocess.Popen(
                self.command("build", "--skip", "render-boards", *args), cwd=ROOT, env=self.env(raw),
                stdout=sink, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            )

    def _finished(self, returncode: int, output: str, seconds: float) -> Built:
        match = re.search(r"^Published build (\S+)", output, re.MULTILINE)
        built = Built(returncode, output, match.group(1) if match else None, seconds)
        if built.build_id:
            self.checksums[built.build_id] = self.checksums_of(built.build_id)
        return built

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), cwd=ROOT, env=self.env(self.root), capture_output=True,
                              text=True, timeout=300)

    def published_id(self) -> str | None:
        try:
            return Path(os.readlink(self.published)).parent.name
        except OSError:
            return None

    def database(self, build_id: str) -> Path:
        return self.warehouse / "builds" / build_id / "tally.duckdb"

    def record(self, build_id: str) -> dict:
        return json.loads((self.warehouse / "builds" / build_id / "build.json").read_text())

    def checksums_of(self, build_id: str) -> dict[str, str]:
        with duckdb.connect(str(self.database(build_id)), read_only=True) as con:
            assert con.execute("select build_id from meta.build_info").fetchone()[0] == build_id
            return mart_checksums(con)

    def snapshot(self) -> dict:
        """What readers can see: the link, the bytes of the file behind it, the builds kept."""
        digest = hashlib.sha256(self.published.read_bytes()).hexdigest() if self.published.exists() else None
        return {
            "link": os.readlink(self.published) if self.published.is_symlink() else None,
            "sha256": digest,
            "builds": sorted(p.name for p in (self.warehouse / "builds").glob("*")),
        }

    def leftovers(self) -> list[str]:
        return sorted(str(p.relative_to(self.warehouse)) for p in (self.warehouse / "private").glob("*"))


def assert_published(built: Built, home: Home) -> str:
    assert built.returncode == 0 and built.build_id, f"the build failed:\n{built.tail()}"
    assert home.published_id() == built.build_id
    return built.build_id


def differing_marts(left: dict[str, str], right: dict[str, str]) -> dict[str, tuple]:
    return {m: (left.get(m), right.get(m)) for m in sorted(set(left) | set(right)) if left.get(m) != right.get(m)}


@pytest.fixture(scope="module")
def raw(tmp_path_factory, generate_raw) -> dict[str, Path]:
    """raw0: tiny generated data; raw1: the same plus append batch 1; broken: raw0 plus one
    product row without an id (dim_products' not_null test on product_id fails)."""
    root = tmp_path_factory.mktemp("publish-raw")
    raw0 = generate_raw(root / "raw0")
    raw1 = root / "raw1"
    shutil.copytree(raw0, raw1)
    subprocess.run([str(Path(sys.executable).parent / "tally-datagen"), "append", "--out", str(raw1), "--batch", "1"],
                   check=True, capture_output=True, text=True)
    broken = root / "broken"
    shutil.copytree(raw0, broken)
    products = broken / "shop" / "products"
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace (cast(null as bigint) as id) "
            f"from (select * from read_parquet('{products}/*.parquet') order by id limit 1)) "
            f"to '{products / 'part-fixture-null-id.parquet'}' (format parquet)"
        )
    return {"raw0": raw0, "raw1": raw1, "broken": broken}


# --- W1: a first build, a killed build, an incremental build -------------------------------------------


@pytest.fixture(scope="module")
def w1(tmp_path_factory, raw) -> tuple[Home, Built]:
    home = Home(tmp_path_factory.mktemp("publish-w1"))
    first = home.build(raw["raw0"])
    assert_published(first, home)
    return home, first


@dataclass
class Killed:
    before: dict
    after: dict
    log: str
    leftovers: list[str]
    lock_was_free: bool
    next_build: Built
    leftovers_after_next: list[str]


def _wait_for(log: Path, pattern: str, count: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if len(re.findall(pattern, text)) >= count:
            return
        if process.poll() is not None:
            raise AssertionError(f"the build ended (exit {process.returncode}) before it could be killed:\n{text[-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"no {count} x {pattern!r} in the build's output within {timeout} s")


@pytest.fixture(scope="module")
def killed(w1, raw) -> Killed:
    """Kill a build (SIGKILL, its whole process group) halfway through dbt's models, then build again."""
    home, _ = w1
    before = home.snapshot()
    log = home.root / "killed.log"
    process = home.start(raw["raw1"], log)
    try:
        _wait_for(log, r" OK created ", 20, process, BUILD_TIMEOUT)  # 20 of the 48 models built
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(60)
    after = home.snapshot()
    leftovers = home.leftovers()
    with open(home.warehouse / ".build.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
            lock_was_free = True
        except BlockingIOError:
            lock_was_free = False
    next_build = home.build(raw["raw1"])
    return Killed(before, after, log.read_text(errors="replace"), leftovers, lock_was_free, next_build,
                  home.leftovers())


def test_a_killed_build_leaves_the_published_warehouse_intact(killed):
    assert killed.before["link"] and killed.before["sha256"]
    assert killed.after == killed.before, "killing a build changed what readers see"
    assert "Published build" not in killed.log
    # What the killed build left: its private folder, with dbt's half-built database in it.
    assert len(killed.leftovers) == 1 and killed.leftovers[0].startswith("private/"), killed.leftovers


def test_the_build_after_a_killed_one_succeeds(killed, w1):
    home, first = w1
    assert killed.lock_was_free, "the killed build's lock is still held"
    build_id = assert_published(killed.next_build, home)
    assert build_id != first.build_id
    assert killed.leftovers_after_next == [], "the killed build's private folder was not cleaned up"
    record = home.record(build_id)
    assert record["mode"] == "incremental"
    assert record["steps"]["private copy"] >= 0, "the incremental build did not record its private copy"
    # The code is as in the first build, which ran and passed the unit tests: not run again.
    assert home.record(first.build_id)["unit_tests_passed_in"] == first.build_id
    assert record["unit_tests_passed_in"] == first.build_id
    assert "unit tests skipped" in killed.next_build.output
    assert home.record(first.build_id)["dbt"]["unit_tests"] > 0 and record["dbt"]["unit_tests"] == 0
    # B2 reads raw1, B1 read raw0: the views' sources name the folder, so they are created again.
    assert "views and seeds created again: the code or the raw data folder changed" in killed.next_build.output
    assert record["views_and_seeds_from"] == build_id
    assert "staging.stg_shop__orders" in record["views_and_seeds"] and "reference.countries" in record["views_and_seeds"]
    assert sorted(p.name for p in (home.warehouse / "builds").glob("*")) == sorted([first.build_id, build_id])


# --- W2: readers during a rebuild, a failing test, rollback -----------------------------------------------


@pytest.fixture(scope="module")
def w2(tmp_path_factory, raw) -> tuple[Home, Built]:
    home = Home(tmp_path_factory.mktemp("publish-w2"))
    first = home.build(raw["raw1"])
    assert_published(first, home)
    return home, first


class Server:
    """`dct serve` on the stable path, and a thread fetching a board page in a loop."""

    PAGE = "executive_kpis"

    def __init__(self, database: Path, log: Path) -> None:
        from warehouse import boards  # the same command `make serve` runs

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command, env = boards.serve_command(database, port, host="127.0.0.1")
        self.url = f"http://127.0.0.1:{port}/{self.PAGE}/"
        self.log = open(log, "w")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.fetches: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def fetch(self, timeout: float = 300) -> dict:
        started = time.time()
        try:
            with urllib.request.urlopen(self.url, timeout=timeout) as response:
                body = response.read()
                return {"started": started, "finished": time.time(), "status": response.status,
                        "digest": hashlib.sha256(body).hexdigest()}
        except (urllib.error.URLError, OSError) as exc:
            return {"started": started, "finished": time.time(), "error": str(exc)}

    def wait_until_serving(self, timeout: float = 420) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"dct serve exited ({self.process.returncode})"
            answer = self.fetch()
            if answer.get("status") == 200:
                return answer
            time.sleep(1)
        raise AssertionError(f"dct serve did not answer {self.url} within {timeout} s")

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.fetches.append(self.fetch())
            self._stop.wait(0.5)

    def start_fetching(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(330)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(20)
        self.log.close()


@dataclass
class Rebuild:
    old: str
    built: Built
    started: float  # wall-clock, when the build process started
    ended: float  # when it exited
    reads: list[dict]
    holder: dict
    holder_alive_at_publish: bool
    served_before: dict
    served: list[dict]


READERS = 2


@pytest.fixture(scope="module")
def rebuild(w2, raw) -> Rebuild:
    """B4: a full refresh on raw0 (different marts from B3 on raw1) while two reader processes
    read every mart in a loop, one process holds the file open, and dct serve answers."""
    home, first = w2
    work = home.root / "readers"
    work.mkdir()
    stop = work / "stop"
    database = str(home.published)  # the stable path, as BI tools open it
    script = str(Path(__file__).resolve())
    readers = [
        subprocess.Popen([sys.executable, script, "read", database, str(work / f"reader{i}.jsonl"), str(stop)],
                         start_new_session=True)
        for i in range(READERS)
    ]
    holder = subprocess.Popen([sys.executable, script, "hold", database, str(work / "holder.json"), str(stop)],
                              start_new_session=True)
    server = Server(home.published, work / "serve.log")
    try:
        served_before = server.wait_until_serving()
        deadline = time.monotonic() + 300
        while not (all(_reads(work / f"reader{i}.jsonl") for i in range(READERS))
                   and (work / "holder.json.ready").exists()):
            assert time.monotonic() < deadline, "the readers did not start reading"
            time.sleep(0.5)
        server.start_fetching()

        started = time.time()
        built = home.build(raw["raw0"], "--full-refresh")
        ended = time.time()
        holder_alive = holder.poll() is None

        # Keep reading until every reader has read twice since the publish.
        deadline = time.monotonic() + 300
        while not all(sum(r["started"] > ended for r in _reads(work / f"reader{i}.jsonl")) >= 2
                      for i in range(READERS)):
            assert time.monotonic() < deadline, "the readers stopped reading after the publish"
            time.sleep(0.5)
        deadline = time.monotonic() + 330
        while not any(f["started"] > ended and "status" in f for f in server.fetches):
            assert time.monotonic() < deadline, "dct serve answered nothing after the publish"
            time.sleep(0.5)
    finally:
        stop.touch()
        for process in (*readers, holder):
            try:
                process.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        server.stop()
    reads = [r | {"reader": i} for i in range(READERS) for r in _reads(work / f"reader{i}.jsonl")]
    holder_result = json.loads((work / "holder.json").read_text()) if (work / "holder.json").exists() else {}
    return Rebuild(first.build_id, built, started, ended, reads, holder_result, holder_alive, served_before,
                   list(server.fetches))


def _reads(path: Path) -> list[dict]:
    """The reads a reader has written so far (a line being written is skipped)."""
    reads = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            reads.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return reads


def test_readers_never_fail_during_a_rebuild(rebuild, w2):
    home, _ = w2
    new = assert_published(rebuild.built, home)
    failed = [r for r in rebuild.reads if "error" in r]
    assert not failed, f"{len(failed)} of {len(rebuild.reads)} reads failed, e.g. {failed[:3]}"
    during = [r for r in rebuild.reads if r["started"] >= rebuild.started and r["finished"] <= rebuild.ended]
    assert len(during) >= 10, f"only {len(during)} reads ran during the rebuild"
    assert {r["build_id"] for r in rebuild.reads} == {rebuild.old, new}


def test_every_read_sees_the_marts_of_one_build(rebuild, w2):
    """Each read's checksums of every mart are those of the build its meta.build_info names."""
    home, _ = w2
    assert home.checksums[rebuild.old] != home.checksums[rebuild.built.build_id], (
        "both builds have the same marts: a mix of the two could not be seen"
    )
    mixed = []
    for read in rebuild.reads:
        expected = home.checksums[read["build_id"]]
        if read["checksums"] != expected:
            mixed.append((read["reader"], read["build_id"], differing_marts(read["checksums"], expected)))
    assert not mixed, f"{len(mixed)} reads saw marts of another build than they named: {mixed[:2]}"
    assert set(rebuild.reads[0]["checksums"]) >= {"fct_orders", "dim_customers", "fct_sessions", "fct_quarantined_rows"}


def test_reads_after_the_publish_see_the_new_build(rebuild):
    new = rebuild.built.build_id
    before = [r["build_id"] for r in rebuild.reads if r["finished"] < rebuild.started]
    after = [r["build_id"] for r in rebuild.reads if r["started"] > rebuild.ended]
    assert before and set(before) == {rebuild.old}
    assert after and set(after) == {new}
    for reader in range(READERS):  # once a reader sees the new build, it never sees the old one again
        ids = [r["build_id"] for r in sorted(rebuild.reads, key=lambda r: r["started"]) if r["reader"] == reader]
        assert ids == sorted(ids, key=lambda b: b == new), f"reader {reader} went back to the old build"


def test_a_reader_holding_the_file_open_does_not_block_the_build(rebuild):
    """A read-only connection open for the whole rebuild (an analyst's DuckDB session): the
    build still publishes, and the session keeps reading the build it opened, unchanged."""
    assert rebuild.built.returncode == 0
    assert rebuild.holder_alive_at_publish, "the holding reader had already exited when the build published"
    assert rebuild.holder["errors"] == [] and rebuild.holder["reads"] > 0
    assert rebuild.holder["first"] == rebuild.old and rebuild.holder["seen"] == [rebuild.old]
    assert rebuild.holder["unchanged"], "the marts changed under an open connection"


def test_dct_serve_keeps_answering_during_a_rebuild(rebuild):
    assert rebuild.served_before.get("status") == 200
    failed = [f for f in rebuild.served if f.get("status") != 200]
    assert not failed, f"dct serve failed {len(failed)} of {len(rebuild.served)} page loads: {failed[:3]}"
    during = [f for f in rebuild.served if f["started"] >= rebuild.started and f["finished"] <= rebuild.ended]
    after = [f for f in rebuild.served if f["started"] > rebuild.ended]
    assert during, "no page load ran during the rebuild"
    assert after, "no page load after the publish"
    # The page is the same for the same build, so a different page means the new build's numbers.
    before = [f for f in rebuild.served if f["finished"] < rebuild.started]
    assert {f["digest"] for f in before} <= {rebuild.served_before["digest"]}
    # B3 (raw1: batch 1's later changes and refunds) and B4 (raw0) show different numbers.
    assert after[-1]["digest"] != rebuild.served_before["digest"], "after the publish dct still serves the old build"


# --- a failing test ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def failing(rebuild, w2, raw) -> tuple[dict, Built, dict]:
    home, _ = w2
    before = home.snapshot()
    built = home.build(raw["broken"])
    return before, built, home.snapshot()


def test_a_failing_test_publishes_nothing(failing, rebuild, w2):
    home, _ = w2
    before, built, after = failing
    assert built.returncode == 1, built.tail()
    assert built.build_id is None
    assert after == before, "a failed build changed what readers see"
    assert home.leftovers() == [], "the failed build's private copy was left behind"
    assert "BUILD FAILED at step 'dbt build'" in built.output
    assert re.search(r"^  - test\.tally\.not_null_dim_products_product_id\.\w+ \(fail\)\n      product_id=None$",
                     built.output, re.MULTILINE), built.tail()  # the test, and the row it found
    served = rebuild.built.build_id
    assert f"Nothing was published. BI tools still read build {served}" in built.output


# --- determinism -------------------------------------------------------------------------------------------


def test_two_full_builds_of_the_same_data_publish_identical_marts(w1, w2, rebuild):
    """B1 (W1, raw0) and B4 (W2, raw0, full refresh): different folders, times and build ids."""
    home1, first = w1
    home2, _ = w2
    assert home2.record(rebuild.built.build_id)["mode"] == "full refresh"
    differences = differing_marts(home1.checksums[first.build_id], home2.checksums[rebuild.built.build_id])
    assert not differences, f"marts differ between two full builds of the same data: {differences}"


def test_an_incremental_build_publishes_what_a_full_refresh_does(killed, w1, w2):
    """B2 (incremental on raw1, from B1) and B3 (a full build of raw1)."""
    home1, _ = w1
    home2, first2 = w2
    incremental = killed.next_build.build_id
    assert home1.record(incremental)["mode"] == "incremental"
    assert home2.record(first2.build_id)["mode"] == "full refresh"
    differences = differing_marts(home1.checksums[incremental], home2.checksums[first2.build_id])
    assert not differences, f"an incremental build differs from a full refresh of the same data: {differences}"


# --- status and rollback -------------------------------------------------------------------------------------


def test_status_shows_the_stable_path_build_age_and_tests(failing, rebuild, w2):
    home, _ = w2
    new = rebuild.built.build_id
    status = home.run("status")
    assert status.returncode == 0, status.stdout + status.stderr
    out = status.stdout
    record = home.record(new)
    assert f"BI tools connect to: {home.published}" in out
    assert f"Published build:     {new} (full refresh" in out
    assert re.search(r"^Published at: .*\(\d+ (s|min|h|d) ago\)$", out, re.MULTILINE), out
    dbt = record["dbt"]
    assert dbt["tests_passed"] + dbt["tests_warned"] == dbt["tests"] > 100  # published: nothing failed
    assert f"{dbt['tests_passed']}/{dbt['tests']} passed" in out
    with duckdb.connect(str(home.published), read_only=True) as con:
        build_id, built_at, passed, warned, total = con.execute(
            "select build_id, built_at, tests_passed, tests_warned, tests_total from meta.build_info"
        ).fetchone()
    assert (build_id, passed, warned, total) == (new, dbt["tests_passed"], dbt["tests_warned"], dbt["tests"])
    assert built_at is not None


def test_rollback_publishes_the_previous_build(failing, rebuild, w2):
    home, first = w2
    rolled = home.run("rollback")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert f"BI tools now read build {first.build_id}" in rolled.stdout
    assert home.published_id() == first.build_id
    with duckdb.connect(str(home.published), read_only=True) as con:
        assert con.execute("select build_id from meta.build_info").fetchone()[0] == first.build_id
        assert mart_checksums(con) == home.checksums[first.build_id]
    assert first.build_id in home.run("status").stdout
    again = home.run("rollback")
    assert again.returncode == 1 and "no earlier published build" in again.stdout


def _fake_publish(warehouse, build_id: str, from_published: bool = False) -> str:
    """Publish a fake build (a text file for a database): the bookkeeping needs no dbt."""
    private = warehouse.start_private(from_published=from_published)
    copied = private.read_text() if private.exists() else None
    private.write_text(build_id)
    warehouse.publish(build_id, private, {"build_id": build_id})
    return copied


def test_the_last_builds_are_kept(tmp_path):
    """Publishing keeps the newest KEEP_BUILDS builds, always the one being served, and an
    incremental build starts from the served build."""
    from warehouse.publish import KEEP_BUILDS, Warehouse

    warehouse = Warehouse(tmp_path / "warehouse")
    ids = [f"20260101T00000{i}Z-000{i}" for i in range(KEEP_BUILDS + 2)]
    for build_id in ids:
        served = warehouse.published_build_id()
        assert _fake_publish(warehouse, build_id, from_published=True) == served
    assert [b.build_id for b in warehouse.builds()] == ids[-KEEP_BUILDS:]
    assert warehouse.published_build_id() == ids[-1]
    assert (warehouse.root / "tally.duckdb").read_text() == ids[-1]


def test_rollback_never_returns_to_a_build_rolled_away_from(tmp_path):
    """b2 is bad: roll back to b1. b3 is bad too: rolling back returns to b1, not to b2; and
    pruning drops b2 before b1, the last good build."""
    from warehouse.publish import KEEP_BUILDS, Warehouse

    assert KEEP_BUILDS == 3
    warehouse = Warehouse(tmp_path / "warehouse")
    b1, b2, b3, b4 = (f"20260101T00000{i}Z-000{i}" for i in range(1, 5))
    _fake_publish(warehouse, b1)
    _fake_publish(warehouse, b2)
    assert warehouse.rollback().build_id == b1
    assert _fake_publish(warehouse, b3, from_published=True) == b1, "the next build starts from the served b1"
    assert warehouse.rollback().build_id == b1
    with pytest.raises(RuntimeError, match="no earlier published build"):
        warehouse.rollback()
    _fake_publish(warehouse, b4)
    assert [b.build_id for b in warehouse.builds()] == [b1, b3, b4]  # b2 pruned first
    assert warehouse.rollback().build_id == b1


def test_status_lists_what_rollback_would_serve(tmp_path, capsys):
    from warehouse import report
    from warehouse.publish import Warehouse

    warehouse = Warehouse(tmp_path / "warehouse")
    b1, b2, b3 = (f"20260101T00000{i}Z-000{i}" for i in range(1, 4))
    for build_id in (b1, b2, b3):
        _fake_publish(warehouse, build_id)
    warehouse.rollback()
    assert report.status(warehouse) == 0
    out = capsys.readouterr().out
    assert f"Kept for rollback:   {b1}\n" in out
    assert f"Also kept:           {b3} (rolled back)\n" in out


def test_rollback_brings_back_the_board_images_of_the_build(tmp_path, monkeypatch):
    """build/boards shows the served build's images: after a rollback, the older build's."""
    from warehouse import paths, report
    from warehouse.publish import Warehouse

    boards_dir = tmp_path / "boards"
    monkeypatch.setattr(paths, "BOARDS_DIR", boards_dir)
    warehouse = Warehouse(tmp_path / "warehouse")
    for build_id in ("20260101T000000Z-0000", "20260101T000001Z-0001"):
        private = warehouse.start_private(from_published=False)
        private.write_text(build_id)
        (private.parent / "boards").mkdir()
        (private.parent / "boards" / "executive_kpis.png").write_text(f"image of {build_id}")
        warehouse.publish(build_id, private, {"build_id": build_id})
    boards_dir.mkdir()
    (boards_dir / "executive_kpis.png").write_text("image of 20260101T000001Z-0001")
    assert report.rollback(warehouse) == 0
    assert (boards_dir / "executive_kpis.png").read_text() == "image of 20260101T000000Z-0000"

if __name__ == "__main__":  # the reader processes of the rebuild test
    mode, *arguments = sys.argv[1:]
    {"read": read_loop, "hold": hold}[mode](*arguments)
