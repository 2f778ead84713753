"""Warehouse benchmark: generate, build, replay, publish, query and append, at SF1 and SF10.

    python -m warehouse.bench.build [--scales 1,10] [--smoke] [--out build/bench/warehouse.json]
                                    [--project-dir .] [--work-dir build/bench/warehouse]
                                    [--raw-from DIR] [--skip STEP,...] [--dbt-threads N] [--keep]

Per scale, in a work folder of its own (nothing touches data/raw, target/ or build/warehouse):
0. yardstick  a fixed DuckDB workload (warehouse.bench.build_calibrate), before the first step
              and after the last: how fast the shared host is this hour;
1. generate   `tally-datagen generate --scale S --seed 42` (or `--raw-from`: a generated data
              set of that scale, hard-linked, reported as reused);
2. full       `dbt build --full-refresh` on a fresh tally.duckdb, the private build of a
              write-audit-publish warehouse (warehouse.publish.Warehouse) under the work folder;
              with run_results timings of every node;
   no_unit    the same with `--exclude resource_type:unit_test`, on another fresh file: the
              like-for-like partner of the replay;
   run_only   `dbt seed`, then `dbt run --full-refresh` (timed alone), on another fresh file;
3. raw        dbt's own SQL of the full build replayed in one DuckDB connection on a fresh file
              (warehouse.bench.build_raw says exactly what is and is not replayed);
4. publish    publishing the full build; copying it into a private folder for an incremental
              build (what `make build` does), and the disk that copy uses;
5. boards     every board query on the published marts (read-only, warm, p50/p95), and the same
              query computed from staging (warehouse.bench.build_boards);
6. append     `tally-datagen append --batch 1` (~1% new orders, plus late changes and refunds);
7. incremental `dbt build` on the private copy (then published), as `make build` runs it on
              unchanged code (without the unit tests, keeping the views and seeds), and `dbt run`
              alone on a second copy, both after the append; then the same `dbt build` once
              more on the private copy, with nothing new: the floor of an incremental build
              (dbt starting and parsing, every data test, the tables rebuilt whole, the
              look-back window, DuckDB's closing checkpoint).

Every step records wall and CPU seconds, the peak RSS of its process tree and the load average
(warehouse.bench.build_measure); peak memory is the largest over the steps. The figures and
ratios are printed as a table per scale, with each target's pass or fail, and written as JSON
(default build/bench/warehouse.json). Targets are set for SF10 and shown at every scale. Nothing
here asserts a time: the smoke run (scale 0.002) only proves every step runs and reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from warehouse import paths
from warehouse.bench import build_dbt
from warehouse.bench.build_calibrate import host_yardstick
from warehouse.bench.build_dbt import DbtFolder
from warehouse.bench.build_measure import load_average, measured, measured_block
from warehouse.build import incremental_build_args
from warehouse.publish import Warehouse, new_build_id

BIN = Path(sys.executable).parent
SEED = 42
STEPS = ("no_unit", "run_only", "raw", "publish", "boards", "incremental")
TARGETS = {  # set for SF10
    "full_build_s": 300.0,
    "full_build_peak_gb": 12.0,
    "dbt_over_raw": 1.2,
    "incremental_share": 0.10,
    "board_p95_ms": 100.0,
}
SMOKE = {"scales": [0.002], "runs": 3, "staging_runs": 1, "staging_budget_s": 0.0, "calibration_runs": 1,
         "staging_only": ["revenue_by_month", "funnel_by_month"]}


def _bin(name: str) -> str:
    beside = BIN / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def _python_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "TALLY_"))}
    tools = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [tools, os.environ.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _bytes_on_disk(path: Path) -> int:
    if path.is_file():
        return path.stat().st_blocks * 512
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def _remove_database(database: Path) -> None:
    for path in (database, database.with_name(database.name + ".wal")):
        path.unlink(missing_ok=True)


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {load_average():.1f}] {message}", flush=True)


# --- the steps --------------------------------------------------------------------------------


def prepare_raw(scale: float, raw: Path, raw_from: Path | None, logs: Path) -> dict:
    if raw.exists():
        shutil.rmtree(raw)
    if raw_from is not None:
        manifest = json.loads((raw_from / "_manifest.json").read_text())
        if float(manifest["scale"]) != scale or manifest.get("batches"):
            raise SystemExit(f"--raw-from {raw_from} is scale {manifest['scale']} with batches "
                             f"{len(manifest.get('batches') or [])}: need scale {scale:g}, no batches")
        # hard links: append only adds files and replaces the manifest by rename, never edits one
        subprocess.run(["cp", "-al", str(raw_from), str(raw)], check=True)
        step = {"reused": str(raw_from)}
    else:
        step = measured([_bin("tally-datagen"), "generate", "--scale", f"{scale:g}", "--seed", str(SEED),
                         "--out", raw, "--no-progress"], paths.ROOT, _python_env(), logs / "generate.log")
    manifest = json.loads((raw / "_manifest.json").read_text())
    step["rows"] = sum(t.get("rows", 0) for t in manifest["tables"].values())
    step["bytes_on_disk"] = _bytes_on_disk(raw)
    step["counts"] = manifest.get("counts", {})
    return step


def dbt_step(folder: DbtFolder, args: list[str], name: str) -> dict:
    _say(f"dbt {' '.join(args)}  ({folder.database})")
    step = folder.run(args, name)
    step["outside_run_s"] = round(step["wall_s"] - step["dbt"].get("elapsed_s", 0.0), 2)
    step["database_bytes"] = folder.database.stat().st_size if folder.database.exists() else None
    return step


def raw_replay(artifacts: Path, database: Path, logs: Path, project: Path) -> dict:
    _say("raw replay of dbt's SQL in one DuckDB connection")
    _remove_database(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    out = database.parent / "replay.json"
    step = measured([sys.executable, "-m", "warehouse.bench.build_raw", artifacts, database, out,
                     project / "profiles.yml"],
                    paths.ROOT, _python_env(), logs / "raw-replay.log")
    step.update(json.loads(out.read_text()))
    step["database_bytes"] = database.stat().st_size
    return step


def board_latency(database: Path, manifest: Path, charts: Path, out: Path, logs: Path, runs: int,
                  staging_runs: int, staging_budget_s: float, staging_only: list[str] | None,
                  staging_total_s: float | None) -> dict:
    _say("board queries on the marts and from staging")
    command = [sys.executable, "-m", "warehouse.bench.build_boards", database, manifest, charts, out,
               "--runs", str(runs), "--staging-runs", str(staging_runs), "--staging-budget-s", str(staging_budget_s),
               "--profiles", charts.parent / "profiles.yml"]
    if staging_total_s is not None:
        command += ["--staging-total-s", str(staging_total_s)]
    if staging_only:
        command += ["--staging-only", ",".join(staging_only)]
    step = measured(command, paths.ROOT, _python_env(), logs / "boards.log")
    step.update(json.loads(out.read_text()))
    return step


def bench_scale(scale: float, args: argparse.Namespace, project: Path) -> dict:
    work = args.work_dir / f"sf{scale:g}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    logs = work / "logs"
    raw = work / "raw"
    result: dict = {"scale": scale, "seed": SEED, "work_dir": str(work), "load_start": load_average()}

    _say(f"SF{scale:g}: host yardstick, before")
    result["host_yardstick"] = {"before": host_yardstick(args.calibration_runs)}
    _say(f"SF{scale:g}: raw data")
    result["generate"] = prepare_raw(scale, raw, args.raw_from, logs)

    warehouse = Warehouse(root=work / "warehouse")
    full_id = new_build_id()
    private = warehouse.start_private(from_published=False)
    full = DbtFolder(project, raw, work / "dbt-full", args.dbt_threads, private)
    result["dbt_build_full"] = dbt_step(full, ["build", "--full-refresh"], "build-full")
    artifacts = Path(result["dbt_build_full"]["artifacts"])
    result["dbt_build_full"]["all_nodes"] = build_dbt.all_nodes(artifacts)

    if "no_unit" not in args.skip:
        other = DbtFolder(project, raw, work / "dbt-full-no-unit-tests", args.dbt_threads)
        result["dbt_build_full_no_unit_tests"] = dbt_step(
            other, ["build", "--full-refresh", "--exclude", "resource_type:unit_test"], "build-full-no-unit-tests")
        _remove_database(other.database)
    if "run_only" not in args.skip:
        other = DbtFolder(project, raw, work / "dbt-run-full", args.dbt_threads)
        result["dbt_seed"] = dbt_step(other, ["seed", "--full-refresh"], "seed")
        result["dbt_run_full"] = dbt_step(other, ["run", "--full-refresh"], "run-full")
        _remove_database(other.database)
    if "raw" not in args.skip:
        result["raw_replay"] = raw_replay(artifacts, work / "raw-replay" / "tally.duckdb", logs, project)
        _remove_database(work / "raw-replay" / "tally.duckdb")

    # write-audit-publish: the full build is published, then copied back for an incremental one
    with measured_block() as publish_full:
        published = warehouse.publish(full_id, private, {"scale": scale, "mode": "full refresh"})
    incremental_id = new_build_id()
    with measured_block() as copy_step:
        incremental_private = warehouse.start_private(from_published=True)
    result["publish"] = {
        "database_bytes": published.database.stat().st_size,
        "publish_full": publish_full,
        "copy_to_private": {**copy_step, "bytes_on_disk": _bytes_on_disk(incremental_private),
                            "mb_per_s": round(incremental_private.stat().st_size / 2**20 / max(copy_step["wall_s"], 1e-6), 1)},
    }

    if "boards" not in args.skip:
        result["boards"] = board_latency(
            published.database, artifacts / "manifest.json", project / "charts", work / "boards.json", logs,
            args.runs, args.staging_runs, args.staging_budget_s, args.staging_only, args.staging_total_s)

    if "incremental" not in args.skip:
        run_copy = work / "dbt-run-incremental" / "tally.duckdb"
        run_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(published.database, run_copy)
        _say("tally-datagen append --batch 1")
        result["append"] = measured([_bin("tally-datagen"), "append", "--out", raw, "--batch", "1", "--no-progress"],
                                    paths.ROOT, _python_env(), logs / "append.log")
        batch = json.loads((raw / "_manifest.json").read_text())["batches"][0]
        result["append"]["new_orders"] = batch.get("new_orders")
        result["append"]["new_customers"] = batch.get("new_customers")
        result["append"]["window"] = [batch.get("window_start_utc"), batch.get("window_end_utc")]
        # the same target path as the full build: partial parsing, as in a real incremental build
        incremental = DbtFolder(project, raw, work / "dbt-full", args.dbt_threads, incremental_private)
        # As `make build` runs it: the code and raw folder are the full build's, which passed the
        # unit tests and created the views and seeds, so neither is run again
        # (warehouse.build.skips_unit_tests, keeps_views_and_seeds).
        build = ["build", *incremental_build_args(skip_unit_tests=True, keep_views_and_seeds=True)]
        result["dbt_build_incremental"] = dbt_step(incremental, build, "build-incremental")
        result["dbt_build_incremental"]["unit_tests"] = "skipped: code unchanged since the full build"
        result["dbt_build_incremental"]["views_and_seeds"] = "kept: code and raw folder unchanged"
        # the same build again at once: nothing new, so what it takes is the floor of every one
        result["dbt_build_nothing_new"] = dbt_step(incremental, build, "build-nothing-new")
        with measured_block() as publish_incremental:
            warehouse.publish(incremental_id, incremental_private, {"scale": scale, "mode": "incremental"})
        result["publish"]["publish_incremental"] = publish_incremental
        run_folder = DbtFolder(project, raw, work / "dbt-run-incremental", args.dbt_threads)
        result["dbt_run_incremental"] = dbt_step(run_folder, ["run"], "run-incremental")
        _remove_database(run_copy)

    _say(f"SF{scale:g}: host yardstick, after")
    result["host_yardstick"]["after"] = host_yardstick(args.calibration_runs)
    result["load_end"] = load_average()
    result["peak_memory"] = peak_memory(result)
    result["ratios"] = ratios(result)
    result["targets"] = targets(result)
    if not args.keep:
        for folder in (work / "warehouse", raw):
            shutil.rmtree(folder, ignore_errors=True)
    return result


# --- figures ---------------------------------------------------------------------------------


MEASURED_STEPS = ("generate", "dbt_build_full", "dbt_build_full_no_unit_tests", "dbt_seed", "dbt_run_full",
                  "raw_replay", "boards", "append", "dbt_build_incremental", "dbt_build_nothing_new",
                  "dbt_run_incremental")


def peak_memory(result: dict) -> dict:
    steps = {name: result[name]["peak_rss_mb"] for name in MEASURED_STEPS
             if isinstance(result.get(name), dict) and "peak_rss_mb" in result[name]}
    worst = max(steps, key=steps.get)
    return {"max_mb": steps[worst], "step": worst, "by_step_mb": steps}


def _ratio(a: float | None, b: float | None, digits: int = 2) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, digits)


def _get(result: dict, step: str, key: str) -> float | None:
    return (result.get(step) or {}).get(key)


def ratios(result: dict) -> dict:
    raw = result.get("raw_replay") or {}
    models_raw = (raw.get("models_s") or 0) or None
    return {
        "dbt_build_over_raw": _ratio(_get(result, "dbt_build_full", "wall_s"), raw.get("wall_s")),
        "dbt_build_over_raw_cpu": _ratio(_get(result, "dbt_build_full", "cpu_s"), raw.get("cpu_s")),
        "dbt_build_no_unit_over_raw": _ratio(_get(result, "dbt_build_full_no_unit_tests", "wall_s"), raw.get("wall_s")),
        "dbt_build_no_unit_over_raw_cpu": _ratio(_get(result, "dbt_build_full_no_unit_tests", "cpu_s"), raw.get("cpu_s")),
        "dbt_run_over_raw_models": _ratio(_get(result, "dbt_run_full", "wall_s"), models_raw),
        "incremental_build_share": _ratio(_get(result, "dbt_build_incremental", "wall_s"),
                                          _get(result, "dbt_build_full", "wall_s"), 3),
        "incremental_build_share_cpu": _ratio(_get(result, "dbt_build_incremental", "cpu_s"),
                                              _get(result, "dbt_build_full", "cpu_s"), 3),
        "nothing_new_build_share": _ratio(_get(result, "dbt_build_nothing_new", "wall_s"),
                                          _get(result, "dbt_build_full", "wall_s"), 3),
        "incremental_run_share": _ratio(_get(result, "dbt_run_incremental", "wall_s"),
                                        _get(result, "dbt_run_full", "wall_s"), 3),
        "staging_over_marts_p50_median": _get(result, "boards", "staging_over_marts_p50_median"),
        # The full build in units of the host yardstick (the mean of its two runs): comparable
        # across hours when the host's speed moves, as the seconds are not.
        "full_build_over_host_yardstick": _ratio(_get(result, "dbt_build_full", "wall_s"), _yardstick_s(result), 1),
    }


def _yardstick_s(result: dict) -> float | None:
    runs = [(result.get("host_yardstick") or {}).get(when) for when in ("before", "after")]
    walls = [run["wall_s"] for run in runs if run]
    return sum(walls) / len(walls) if walls else None


def _target(value: float | None, limit: float, below: bool = True, strict: bool = True) -> dict:
    if value is None:
        return {"value": None, "limit": limit, "met": None}
    met = (value < limit if strict else value <= limit) if below else value >= limit
    return {"value": value, "limit": limit, "met": met}


def targets(result: dict) -> dict:
    r = result["ratios"]
    full = result.get("dbt_build_full") or {}
    boards = result.get("boards") or {}
    return {
        "full_build_s": _target(full.get("wall_s"), TARGETS["full_build_s"]),
        "full_build_peak_gb": _target(round(full["peak_rss_mb"] / 1024, 2) if full else None, TARGETS["full_build_peak_gb"]),
        "dbt_over_raw": _target(r["dbt_build_over_raw"], TARGETS["dbt_over_raw"], strict=False),
        "dbt_over_raw_no_unit_tests": _target(r["dbt_build_no_unit_over_raw"], TARGETS["dbt_over_raw"], strict=False),
        "incremental_share": _target(r["incremental_build_share"], TARGETS["incremental_share"], strict=False),
        "board_p95_ms": _target(boards.get("marts_p95_max_ms"), TARGETS["board_p95_ms"]),
    }


# --- report ------------------------------------------------------------------------------------


def _row(label: str, step: dict | None, note: str = "") -> str:
    if not step:
        return f"  {label:46} {'skipped':>8}"
    if "reused" in step:
        return f"  {label:46} {'reused':>8}  {step['reused']}"
    load = step.get("load", {})
    rss = f"{step['peak_rss_mb'] / 1024:6.2f} GB" if "peak_rss_mb" in step else " " * 9
    return (f"  {label:46} {step['wall_s']:8.1f} {step['cpu_s']:8.1f} {rss:>9}   "
            f"{load.get('start', 0):4.1f}/{load.get('mean', 0):4.1f}/{load.get('end', 0):4.1f}  {note}").rstrip()


def _met(target: dict) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[target["met"]]


def _gb(n: int | None) -> str:
    if not n:
        return "?"
    return f"{n / 2**30:.2f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def table(result: dict) -> str:
    s = result["scale"]
    g = result["generate"]
    lines = [
        f"SF{s:g} (seed {result['seed']}): {g['rows']:,} raw rows, {_gb(g['bytes_on_disk'])} of Parquet; "
        f"load average {result['load_start']:.1f} at start, {result['load_end']:.1f} at end",
        "",
        f"  {'step':46} {'wall s':>8} {'CPU s':>8} {'peak RSS':>9}   load start/mean/end",
        _row("generate (tally-datagen generate)", g),
    ]
    full = result["dbt_build_full"]
    lines.append(_row("dbt build --full-refresh", full,
                      f"{full['dbt']['nodes']} nodes, {full['outside_run_s']:.0f} s outside the run"))
    lines.append(_row("dbt build --full-refresh, no unit tests", result.get("dbt_build_full_no_unit_tests")))
    lines.append(_row("dbt seed", result.get("dbt_seed")))
    lines.append(_row("dbt run --full-refresh", result.get("dbt_run_full")))
    raw = result.get("raw_replay")
    if raw:
        lines.append(_row("raw replay, one DuckDB connection", raw,
                          f"models {raw['models_s']:.1f} + data tests {raw['tests_s']:.1f} + seeds {raw['seeds_s']:.1f} s"))
    else:
        lines.append(_row("raw replay, one DuckDB connection", None))
    lines.append(_row("tally-datagen append --batch 1", result.get("append"),
                      f"{result['append']['new_orders']:,} new orders" if result.get("append") else ""))
    lines.append(_row("dbt build (incremental, no unit tests)", result.get("dbt_build_incremental"),
                      "unit tests: code unchanged since the full build"))
    nothing_new = result.get("dbt_build_nothing_new")
    lines.append(_row("dbt build again, nothing new", nothing_new,
                      f"{nothing_new['outside_run_s']:.0f} s outside the run" if nothing_new else ""))
    lines.append(_row("dbt run (incremental)", result.get("dbt_run_incremental")))
    p = result["publish"]
    lines.append(f"  {'publish (rename + symlink), full / incremental':46} {p['publish_full']['wall_s']:8.3f}"
                 f" / {(p.get('publish_incremental') or {}).get('wall_s', float('nan')):.3f} s")
    lines.append(f"  {'copy published build to private':46} {p['copy_to_private']['wall_s']:8.1f} "
                 f"{p['copy_to_private']['cpu_s']:8.1f}   {_gb(p['copy_to_private']['bytes_on_disk'])} on disk, "
                 f"{p['copy_to_private']['mb_per_s']:.0f} MB/s (database {_gb(p['database_bytes'])})")
    b = result.get("boards")
    if b:
        lines.append(_row(f"board queries ({b['distinct_queries']} distinct, {b['runs']} runs)", b))
    mem = result["peak_memory"]
    lines.append(f"  peak memory: {mem['max_mb'] / 1024:.2f} GB ({mem['step']})")
    yardstick = result.get("host_yardstick") or {}
    if yardstick.get("before") and yardstick.get("after"):
        lines.append(f"  host yardstick (a fixed DuckDB query, median of {yardstick['before']['runs']}): "
                     f"{yardstick['before']['wall_s']:.2f} s before, {yardstick['after']['wall_s']:.2f} s after")

    r, t = result["ratios"], result["targets"]

    def fmt(value, suffix="x", pct=False):
        if value is None:
            return "n/a"
        return f"{value * 100:.1f}%" if pct else f"{value:.2f}{suffix}"

    lines += [
        "",
        "  ratios                                           wall      CPU",
        f"  dbt build / raw replay                      {fmt(r['dbt_build_over_raw']):>9} {fmt(r['dbt_build_over_raw_cpu']):>8}",
        f"  dbt build without unit tests / raw replay   {fmt(r['dbt_build_no_unit_over_raw']):>9} {fmt(r['dbt_build_no_unit_over_raw_cpu']):>8}",
        f"  dbt run / raw replay of the models          {fmt(r['dbt_run_over_raw_models']):>9}",
        f"  incremental build / full build              {fmt(r['incremental_build_share'], pct=True):>9} {fmt(r['incremental_build_share_cpu'], pct=True):>8}",
        f"  incremental build, nothing new / full build {fmt(r['nothing_new_build_share'], pct=True):>9}",
        f"  incremental run / full run                  {fmt(r['incremental_run_share'], pct=True):>9}",
        f"  board query from staging / from marts       {fmt(r['staging_over_marts_p50_median']):>9}   (median over queries, p50)",
        f"  full build / host yardstick                 {fmt(r['full_build_over_host_yardstick']):>9}   (to compare hours)",
        "",
        "  targets (set for SF10)",
        f"  full build < {TARGETS['full_build_s']:.0f} s                    {t['full_build_s']['value']!s:>10}   {_met(t['full_build_s'])}",
        f"  full build peak memory < {TARGETS['full_build_peak_gb']:.0f} GB          {t['full_build_peak_gb']['value']!s:>10}   {_met(t['full_build_peak_gb'])}",
        f"  dbt build / raw <= {TARGETS['dbt_over_raw']}x               {t['dbt_over_raw']['value']!s:>10}   {_met(t['dbt_over_raw'])}"
        f"   (without unit tests: {t['dbt_over_raw_no_unit_tests']['value']}, {_met(t['dbt_over_raw_no_unit_tests'])})",
        f"  incremental build <= {TARGETS['incremental_share']:.0%} of full          {t['incremental_share']['value']!s:>10}   {_met(t['incremental_share'])}",
        f"  board query p95 < {TARGETS['board_p95_ms']:.0f} ms (worst query)  {t['board_p95_ms']['value']!s:>10}   {_met(t['board_p95_ms'])}",
        "",
        "  slowest nodes of dbt build --full-refresh (execution seconds; 2 threads overlap)",
    ]
    for node in full["dbt"]["slowest"][:12]:
        lines.append(f"    {node['execution_s']:8.1f}  {node['kind']:18} {node['node']}")
    kinds = ", ".join(f"{k} {v['count']}: {v['execution_s']:.0f} s" for k, v in full["dbt"]["by_kind"].items())
    lines.append(f"    by kind: {kinds}")
    if raw:
        lines.append("  slowest nodes of the raw replay (seconds)")
        for node in raw["nodes"][:8]:
            lines.append(f"    {node['seconds']:8.1f}  {node['kind']:18} {node['unique_id'].split('.', 2)[-1]}")
    incr = result.get("dbt_build_incremental")
    if incr:
        lines.append("  slowest nodes of the incremental dbt build (execution seconds)")
        for node in incr["dbt"]["slowest"][:8]:
            lines.append(f"    {node['execution_s']:8.1f}  {node['kind']:18} {node['node']}")
    if b:
        lines += ["", f"  board queries (ms): {'marts p50':>10} {'p95':>8} | {'staging p50':>11} {'p95':>9} "
                      f"{'runs':>4} {'x':>6}  agree  used by"]
        for q in b["queries"]:
            m, st = q["marts"], q["staging"]
            right = (f"{st['p50_ms']:11.1f} {st['p95_ms']:9.1f} {st['runs']:4d} {q['staging_over_marts_p50']:6.0f}  "
                     f"{'yes' if q['agree'] else 'NO':5}") if st else f"{q.get('staging_skipped', ''):45}"
            lines.append(f"  {q['query'][:26]:26} {m['p50_ms']:10.1f} {m['p95_ms']:8.1f} | {right}  "
                         f"{', '.join(u.split('/')[0] for u in q['used_by'])}")
    return "\n".join(lines)


def versions() -> dict:
    found = {}
    for package in ("duckdb", "dbt-core", "dbt-duckdb"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def git_commit(project: Path) -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=project, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "models", "macros", "tests", "seeds",
                            "dbt_project.yml", "profiles.yml"], cwd=project, capture_output=True, text=True)
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.bench.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10", help="comma list of scale factors (default 1,10)")
    parser.add_argument("--smoke", action="store_true", help="scale 0.002, few runs: every step in seconds, for CI")
    parser.add_argument("--out", type=Path, default=paths.BENCH_DIR / "warehouse.json")
    parser.add_argument("--project-dir", type=Path, default=paths.ROOT, help="the dbt project to build (a copy, say)")
    parser.add_argument("--work-dir", type=Path, default=None, help="default: beside --out, warehouse/")
    parser.add_argument("--raw-from", type=Path, default=None,
                        help="reuse this generated data set (one scale only), hard-linked, instead of generating")
    parser.add_argument("--skip", default="", help=f"comma list of optional steps to skip: {', '.join(STEPS)}")
    parser.add_argument("--dbt-threads", type=int, default=None, help="dbt threads (default: the profile's)")
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each board query on the marts")
    parser.add_argument("--staging-runs", type=int, default=20, help="at most this many runs from staging")
    parser.add_argument("--staging-budget-s", type=float, default=30.0, help="seconds per staging query (>= 1 run)")
    parser.add_argument("--staging-total-s", type=float, default=1200.0,
                        help="start no staging query after this many seconds per scale (the rest: skipped)")
    parser.add_argument("--calibration-runs", type=int, default=3,
                        help="runs of the host yardstick before and after each scale (median reported)")
    parser.add_argument("--keep", action="store_true", help="keep the raw data and databases of the work folder")
    args = parser.parse_args(argv)
    args.staging_only = None
    if args.smoke:
        args.scales = ",".join(f"{s:g}" for s in SMOKE["scales"])
        args.runs, args.staging_runs = SMOKE["runs"], SMOKE["staging_runs"]
        args.staging_budget_s, args.staging_only = SMOKE["staging_budget_s"], SMOKE["staging_only"]
        args.calibration_runs = SMOKE["calibration_runs"]
    if args.calibration_runs < 1:
        parser.error("--calibration-runs must be at least 1: the yardstick is a median of runs")
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = args.skip - set(STEPS)
    if unknown:
        parser.error(f"unknown --skip step(s): {', '.join(sorted(unknown))}")
    if args.raw_from is not None and len(scales) != 1:
        parser.error("--raw-from needs exactly one scale")
    args.out = args.out.resolve()
    args.work_dir = (args.work_dir or args.out.parent / ("warehouse-smoke" if args.smoke else "warehouse")).resolve()
    project = args.project_dir.resolve()

    data = {
        "benchmark": "warehouse-build",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(["python -m warehouse.bench.build", *(argv if argv is not None else sys.argv[1:])]),
        "project": {"path": str(project), "git_commit": git_commit(project)},
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "versions": versions(),
            "load_average_start": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {"dbt_threads": args.dbt_threads or "profile default", "board_runs": args.runs,
                     "staging_runs": args.staging_runs, "staging_budget_s": args.staging_budget_s,
                     "staging_total_s": args.staging_total_s,
                     "staging_only": args.staging_only, "skipped": sorted(args.skip)},
        "targets": TARGETS,
        "scales": {},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for scale in scales:
        result = bench_scale(scale, args, project)
        data["scales"][f"{scale:g}"] = result
        data["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")  # after every scale
        print()
        print(table(result), flush=True)
        print()
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
