"""Benchmark: what write-audit-publish costs, at SF1 and SF10.

    python -m warehouse.bench.publish                        # SF1 and SF10 (slow: four builds)
    python -m warehouse.bench.publish --scales 1             # one scale
    python -m warehouse.bench.publish --raw 10=/data/sf10    # raw data from elsewhere
    python -m warehouse.bench.publish --scales 10 --rebuild-for 900

For each scale, in build/bench/publish/sf<scale>/ (its own warehouse folder, dbt target and logs;
the repository's warehouse is never touched):

1. Raw data: `--raw`, else /tmp/tally-raw/sf<scale> (generated there once when missing: 4.3 GB
   at SF10, never committed).
2. A full build, `python -m warehouse build --full-refresh`: the build time the overhead is
   compared with.
3. Read latency on an idle warehouse: a reader process runs a fixed set of mart queries in a
   loop, each on a fresh read-only connection to the stable path (as a BI tool does), for
   `--idle-seconds`; no build running.
4. The same reader while an incremental build (what `make build` runs once a build is published)
   rebuilds the warehouse: read latency during a rebuild, and the build's own `private copy`
   time. `--rebuild-for S` kills the rebuild after S seconds (SIGKILL, which must leave the
   published build as it was): enough of an SF10 rebuild to measure reads, without its hour.
5. Publishing alone, on the published file: the private copy (publish._copy_file:
   copy_file_range, a reflink where the filesystem has them) `--repeat` times, and the switch
   (Warehouse.publish: move the folder into builds/, swap the symlink, fsync, prune) on hard links
   of the file, so each switch publishes the real file without copying it.
6. Disk: the database size, the blocks a private copy allocates, the filesystem, and the
   warehouse folder with the builds kept for rollback.

It prints a table and writes build/bench/publish.json. Figures are wall-clock on a shared
machine: the load average is recorded with each. Like the other benchmarks it measures and
never asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from warehouse import paths
from warehouse.publish import DATABASE_NAME, Warehouse, _copy_file, new_build_id

BIN = Path(sys.executable).parent
OUT_DIR = paths.BENCH_DIR / "publish"
RESULT = paths.BENCH_DIR / "publish.json"
DEFAULT_RAW = "/tmp/tally-raw/sf{scale}"
READ_PAUSE_S = 0.2  # between a reader's rounds

# What a dashboard asks, each on its own connection: aggregates over the large facts, a join,
# a point lookup.
QUERIES = {
    "revenue_by_month": """
        select date_trunc('month', order_date) as month, sum(gross_revenue_usd) as gross_revenue_usd
        from marts.fct_orders
        where not is_test_account and not is_cancelled
        group by 1 order by 1""",
    "orders_by_country_last_30_days": """
        select shipping_country_code, count(*) as orders
        from marts.fct_orders
        where order_date > (select max(order_date) - interval 30 day from marts.fct_orders)
        group by 1 order by 2 desc""",
    "top_products": """
        select dim_products.product_name, sum(fct_order_items.line_revenue_usd) as revenue_usd
        from marts.fct_order_items
        inner join marts.dim_products on fct_order_items.product_id = dim_products.product_id
        where not fct_order_items.is_cancelled
        group by 1 order by 2 desc limit 10""",
    "funnel_by_month": """
        select date_trunc('month', session_date) as month, count(*) as sessions,
               count(*) filter (where reached_checkout) as checkouts,
               count(*) filter (where has_purchase) as purchases
        from marts.fct_sessions
        group by 1 order by 1""",
    "customer_lookup": "select * from marts.dim_customers where customer_id = 4242",
}


# --- the reader (a separate process, like a BI tool) ----------------------------------------------


def read_loop(database: str, out: str, stop: str, seconds: float | None = None) -> None:
    """Run every query in a loop, each on a fresh read-only connection, until `stop` exists (or
    for `seconds`); one JSON line per query: name, start, latency, or the error."""
    ends_at = time.monotonic() + seconds if seconds else None
    with open(out, "a") as sink:
        while not os.path.exists(stop) and (ends_at is None or time.monotonic() < ends_at):
            for name, sql in QUERIES.items():
                started = time.time()
                clock = time.perf_counter()
                record: dict = {"query": name, "started": started}
                try:
                    con = duckdb.connect(database, read_only=True)
                    try:
                        con.execute(sql).fetchall()
                    finally:
                        con.close()
                except Exception as exc:
                    record["error"] = f"{type(exc).__name__}: {exc}"
                record["seconds"] = time.perf_counter() - clock
                sink.write(json.dumps(record) + "\n")
                sink.flush()
            time.sleep(READ_PAUSE_S)


def start_reader(database: Path, out: Path, stop: Path, seconds: float | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "warehouse.bench.publish", "read", str(database), str(out), str(stop)]
    if seconds:
        command += ["--seconds", str(seconds)]
    return subprocess.Popen(command, cwd=paths.ROOT)


def latency(records: list[dict], since: float | None = None, until: float | None = None) -> dict:
    """p50/p95/max (ms) over all reads in the window, and per query; failed reads counted."""
    chosen = [r for r in records if (since is None or r["started"] >= since) and (until is None or r["started"] <= until)]
    ok = [r["seconds"] * 1000 for r in chosen if "error" not in r]
    result = {"reads": len(chosen), "failed": len(chosen) - len(ok), **_percentiles(ok), "per_query": {}}
    for name in QUERIES:
        result["per_query"][name] = _percentiles(
            [r["seconds"] * 1000 for r in chosen if r["query"] == name and "error" not in r]
        )
    return result


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1), "max_ms": round(ordered[-1], 1)}


def _records(path: Path) -> list[dict]:
    records = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return records


# --- one scale ---------------------------------------------------------------------------------


def load() -> float:
    return round(os.getloadavg()[0], 2)


def ensure_raw(scale: str, raw: Path) -> Path:
    manifest = raw / "_manifest.json"
    if manifest.exists():
        found = json.loads(manifest.read_text()).get("scale")
        if float(found) != float(scale):
            raise SystemExit(f"{raw} holds scale {found}, not {scale}")
        return raw
    print(f"  generating SF{scale} raw data into {raw} (once; reused by later runs)", flush=True)
    subprocess.run([str(BIN / "tally-datagen"), "generate", "--scale", scale, "--seed", "42", "--out", str(raw),
                    "--force", "--no-progress"], check=True)
    return raw


class Scale:
    """One scale's warehouse folder and the builds run in it."""

    def __init__(self, scale: str, raw: Path, skip_boards: bool) -> None:
        self.scale = scale
        self.raw = raw
        self.folder = OUT_DIR / f"sf{scale}"
        self.warehouse = Warehouse(self.folder / "warehouse")
        self.skip_boards = skip_boards

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TALLY_RAW_DIR": str(self.raw),
            "TALLY_WAREHOUSE_DIR": str(self.warehouse.root),
            "DBT_TARGET_PATH": str(self.folder / "target"),
            "DBT_LOG_PATH": str(self.folder / "logs"),
            "TALLY_BOARDS_DIR": str(self.folder / "boards"),
            "DO_NOT_TRACK": "1",
        }

    def build(self, *args: str, stop_after: float | None = None) -> dict:
        """Run a build to its end, or SIGKILL it after `stop_after` seconds (enough of a rebuild
        to measure reads against; the published build must be left as it was)."""
        command = [sys.executable, "-m", "warehouse", "build", *args]
        if self.skip_boards:
            command += ["--skip", "render-boards"]
        log = self.folder / f"build-{len(list(self.folder.glob('build-*.log')))}.log"
        served = self.warehouse.published_build_id()
        load_before, started = load(), time.perf_counter()
        with open(log, "w") as sink:
            process = subprocess.Popen(command, cwd=paths.ROOT, env=self.env(), stdout=sink, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            try:
                returncode = process.wait(stop_after)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                returncode = None
        seconds = time.perf_counter() - started
        output = log.read_text(errors="replace")
        copied = re.search(r"started from a copy of the published build \(([\d.]+) s\)", output)
        figures = {
            "wall_s": round(seconds, 1),
            "private_copy_s": float(copied.group(1)) if copied else None,
            "load": {"start": load_before, "end": load()},
            "log": str(log),
        }
        if returncode is None:
            if self.warehouse.published_build_id() != served:
                raise SystemExit(f"killing the SF{self.scale} build changed the published build")
            return {**figures, "completed": False, "mode": "incremental" if copied else "full refresh"}
        if returncode != 0:
            tail = "\n".join(output.splitlines()[-30:])
            raise SystemExit(f"the SF{self.scale} build failed (exit {returncode}), see {log}:\n{tail}")
        current = self.warehouse.current()
        return {**figures, "completed": True, "build_id": current.build_id, "mode": current.record.get("mode"),
                "steps_s": current.record.get("steps", {})}


def measure_scale(scale: str, raw: Path, idle_seconds: float, repeat: int, skip_boards: bool,
                  rebuild_for: float | None = None) -> dict:
    run = Scale(scale, ensure_raw(scale, raw), skip_boards)
    if run.folder.exists():
        shutil.rmtree(run.folder)
    run.folder.mkdir(parents=True)
    result: dict = {"scale": scale, "raw": str(run.raw), "stable_path": str(run.warehouse.published)}

    print(f"SF{scale}: full build", flush=True)
    result["full_build"] = run.build("--full-refresh")
    published = run.warehouse.published

    print(f"SF{scale}: read latency, no build running ({idle_seconds:.0f} s)", flush=True)
    idle_log, stop = run.folder / "reads-idle.jsonl", run.folder / "stop-reading"
    load_before = load()
    start_reader(published, idle_log, stop, seconds=idle_seconds).wait()
    result["read_idle"] = {**latency(_records(idle_log)), "load": {"start": load_before, "end": load()}}

    print(f"SF{scale}: incremental rebuild with the reader running"
          + (f" (killed after {rebuild_for:.0f} s)" if rebuild_for else ""), flush=True)
    busy_log = run.folder / "reads-rebuild.jsonl"
    reader = start_reader(published, busy_log, stop)
    time.sleep(2)
    started = time.time()
    result["rebuild"] = run.build(stop_after=rebuild_for)
    ended = time.time()
    stop.touch()
    reader.wait(120)
    records = _records(busy_log)
    result["read_during_rebuild"] = {
        **latency(records, since=started, until=ended),
        "load": result["rebuild"]["load"],
    }
    stop.unlink()

    print(f"SF{scale}: publish alone (copy x{repeat}, switch x{repeat})", flush=True)
    result["publish"] = measure_publish(run, repeat)
    result["disk"] = measure_disk(run)
    build_s = result["full_build"]["wall_s"]
    copy_s = result["publish"]["copy_s"]["median"]
    switch_s = result["publish"]["switch_s"]["median"]
    rebuild = result["rebuild"]
    result["overhead"] = {
        "copy_pct_of_full_build": round(100 * copy_s / build_s, 2),
        "copy_pct_of_incremental_build": round(100 * copy_s / rebuild["wall_s"], 2) if rebuild["completed"] else None,
        "switch_pct_of_full_build": round(100 * switch_s / build_s, 4),
    }
    return result


def measure_publish(run: Scale, repeat: int) -> dict:
    published = run.warehouse.current().database
    scratch = run.folder / "scratch"
    scratch.mkdir(exist_ok=True)
    copies, allocated = [], []
    for _ in range(repeat):
        dest = scratch / DATABASE_NAME
        dest.unlink(missing_ok=True)
        clock = time.perf_counter()
        _copy_file(published, dest)
        copies.append(time.perf_counter() - clock)
        allocated.append(os.stat(dest).st_blocks * 512)
        dest.unlink()

    # The switch on the real file: hard-link it into a private folder and publish that folder.
    switches = []
    target = Warehouse(run.folder / "switch")
    for _ in range(repeat):
        build_id = new_build_id()
        private = target.start_private(from_published=False)
        os.link(published, private)
        clock = time.perf_counter()
        target.publish(build_id, private, {"build_id": build_id})
        switches.append(time.perf_counter() - clock)
        time.sleep(1.1)  # build ids are per second
    shutil.rmtree(target.root)
    size = published.stat().st_size
    copy_median = statistics.median(copies)
    return {
        "database_bytes": size,
        "copy_s": {"median": round(copy_median, 3), "min": round(min(copies), 3), "max": round(max(copies), 3)},
        "copy_gb_per_s": round(size / copy_median / 1e9, 2) if copy_median else None,
        "copy_allocated_bytes": max(allocated),
        "switch_s": {"median": round(statistics.median(switches), 4), "max": round(max(switches), 4)},
        "load": load(),
    }


def measure_disk(run: Scale) -> dict:
    published = run.warehouse.current().database
    fs = subprocess.run(["stat", "-f", "-c", "%T", str(published)], capture_output=True, text=True).stdout.strip()
    kept = sum(f.stat().st_blocks * 512 for f in run.warehouse.builds_dir.rglob("*") if f.is_file())
    return {
        "filesystem": fs,
        "database_bytes": published.stat().st_size,
        "builds_kept": len(run.warehouse.builds()),
        "builds_folder_bytes": kept,
        "raw_bytes": sum(f.stat().st_size for f in run.raw.rglob("*.parquet")),
    }


# --- report --------------------------------------------------------------------------------------


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


def table(results: dict) -> str:
    rows = [("", *[f"SF{s}" for s in results])]

    def add(label, fn):
        rows.append((label, *[fn(r) for r in results.values()]))

    add("full build (wall)", lambda r: f"{r['full_build']['wall_s']:.0f} s")
    add("incremental rebuild (wall)", lambda r: f"{r['rebuild']['wall_s']:.0f} s"
                                                 + ("" if r["rebuild"].get("completed", True) else " (killed)"))
    add("database file", lambda r: _gb(r["disk"]["database_bytes"]))
    add("private copy (copy_file_range)", lambda r: f"{r['publish']['copy_s']['median']:.2f} s "
                                                    f"({r['publish']['copy_gb_per_s']} GB/s)")
    add("  in the rebuild", lambda r: _private_copy(r["rebuild"]))
    add("switch (move + symlink + fsync)", lambda r: f"{r['publish']['switch_s']['median'] * 1000:.1f} ms")
    add("copy, % of full build", lambda r: f"{r['overhead']['copy_pct_of_full_build']:.2f} %")
    add("copy, % of incremental build", lambda r: "-" if r["overhead"].get("copy_pct_of_incremental_build") is None
        else f"{r['overhead']['copy_pct_of_incremental_build']:.2f} %")
    add("extra disk: private copy", lambda r: f"{_gb(r['publish']['copy_allocated_bytes'])} ({r['disk']['filesystem']})")
    add("builds kept (rollback)", lambda r: f"{r['disk']['builds_kept']}: {_gb(r['disk']['builds_folder_bytes'])}")
    add("read p50 / p95, idle", lambda r: f"{r['read_idle']['p50_ms']} / {r['read_idle']['p95_ms']} ms")
    add("read p50 / p95, rebuild", lambda r: f"{r['read_during_rebuild']['p50_ms']} / "
                                             f"{r['read_during_rebuild']['p95_ms']} ms")
    add("reads (failed), idle", lambda r: f"{r['read_idle']['reads']} ({r['read_idle']['failed']})")
    add("reads (failed), rebuild", lambda r: f"{r['read_during_rebuild']['reads']} ({r['read_during_rebuild']['failed']})")
    add("load average (idle; rebuild)", lambda r: f"{r['read_idle']['load']['start']}; {r['rebuild']['load']['start']}")
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def _private_copy(rebuild: dict) -> str:
    seconds = rebuild.get("private_copy_s", rebuild.get("steps_s", {}).get("private copy"))
    return "not recorded" if seconds is None else f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["read"]:
        reader = argparse.ArgumentParser(prog="python -m warehouse.bench.publish read")
        reader.add_argument("database")
        reader.add_argument("out")
        reader.add_argument("stop")
        reader.add_argument("--seconds", type=float)
        args = reader.parse_args(argv[1:])
        read_loop(args.database, args.out, args.stop, args.seconds)
        return 0
    parser = argparse.ArgumentParser(prog="python -m warehouse.bench.publish", description=__doc__.split("\n")[0])
    parser.add_argument("--scales", nargs="+", default=["1", "10"])
    parser.add_argument("--raw", action="append", default=[], metavar="SCALE=PATH",
                        help=f"raw data of a scale (default {DEFAULT_RAW})")
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-boards", action="store_true", help="build without rendering board images")
    parser.add_argument("--rebuild-for", type=float, metavar="SECONDS",
                        help="measure reads during the first SECONDS of the rebuild, then kill it (SF10 saves hours)")
    args = parser.parse_args(argv)
    raws = dict(item.split("=", 1) for item in args.raw)

    results = json.loads(RESULT.read_text()).get("scales", {}) if RESULT.exists() else {}
    for scale in args.scales:
        raw = Path(raws.get(scale, DEFAULT_RAW.format(scale=scale)))
        results[scale] = measure_scale(scale, raw, args.idle_seconds, args.repeat, args.skip_boards, args.rebuild_for)
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(json.dumps({"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                      "cpus": os.cpu_count(), "scales": results}, indent=2))
    print()
    print(table({s: results[s] for s in sorted(results, key=float)}))
    print(f"\nwritten to {RESULT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
