"""Board query latency: every board query on the marts, and the same number computed from staging.

    python -m warehouse.bench.build_boards <tally.duckdb> <manifest.json> <charts dir> <out.json>
                                           [--runs 20] [--staging-runs 20] [--staging-budget-s 60]

On the marts: each distinct board query (warehouse.boards.board_queries; a query two boards
share is timed once and reported under both names) runs once to warm up, then `--runs` times, on
one read-only connection to the built file; p50 and p95 of executing it and fetching every row.

From staging: the same query text, with every mart and intermediate model it reads replaced by
a view of that model's compiled SQL (from the full-refresh manifest), so the query runs on the
staging views, which read the raw Parquet files, and re-derives on the fly everything the
intermediate and mart layers materialise: CDC de-duplication, validation, FX conversion,
allocation, sequencing, sessions pivoted into funnels. The views live in an in-memory database
that attaches the built file read-only as `tally` (the catalog the compiled SQL names), and
shadows its `intermediate` and `marts` schemas, so the staging views and seeds are the only
relations read from the file. Each query's result on both sides is compared (rows sorted,
floats to 9 significant digits): `agree` says the staging rewrite is faithful. A staging query
runs once to warm up, then until `--staging-runs` runs or `--staging-budget-s` seconds (at
least one run); a warm-up over 5 s counts as the first run. Planning the deep view tree alone
takes seconds, and at SF10 one run takes minutes, so `--staging-total-s` stops starting new
staging queries once that much time is spent (monthly queries go first; the latest_* ones,
which read a monthly query twice, last), and `--staging-only` picks queries (the smoke run does).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

import duckdb

from warehouse import boards
from warehouse.bench.duckdb_settings import apply_settings, profile_settings

REDIRECTED_SCHEMAS = ("intermediate", "marts")


def distinct_queries(charts_dir: Path) -> list[dict]:
    """Every board query, once per distinct SQL text, with the board/query names that use it."""
    by_sql: dict[str, dict] = {}
    for board in boards.board_files(charts_dir):
        for name, sql in boards.board_queries(board).items():
            entry = by_sql.setdefault(sql, {"name": name, "sql": sql, "used_by": []})
            entry["used_by"].append(f"{board.stem}/{name}")
    return list(by_sql.values())


def percentile(values: list[float], share: float) -> float:
    """Linear-interpolated percentile of a sample.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5)
    2.5
    >>> percentile([5.0], 0.95)
    5.0
    """
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def fingerprint(rows: list[tuple]) -> str:
    def norm(value):
        if isinstance(value, float):
            return float(f"{value:.9g}")
        return value
    text = repr(sorted((tuple(norm(v) for v in row) for row in rows), key=repr))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def time_query(con: duckdb.DuckDBPyConnection, sql: str, runs: int, budget_s: float | None = None,
               min_runs: int = 1, slow_s: float | None = None) -> dict:
    """Warm up once, then time `runs` executions (fewer when a budget runs out, never < min_runs).

    A warm-up slower than `slow_s` counts as the first timed run: for a query of several seconds
    a warm cache changes little, and repeating it would double the benchmark.
    """
    t0 = time.perf_counter()
    rows = con.execute(sql).fetchall()
    first = time.perf_counter() - t0
    warmup_counted = slow_s is not None and first >= slow_s
    times: list[float] = [first] if warmup_counted else []
    spent = sum(times)
    while len(times) < runs:
        if budget_s is not None and len(times) >= min_runs and spent + (spent / len(times)) > budget_s:
            break
        t0 = time.perf_counter()
        con.execute(sql).fetchall()
        elapsed = time.perf_counter() - t0
        times.append(elapsed)
        spent += elapsed
    return {
        "runs": len(times),
        "warmup_ms": round(first * 1000, 2),
        "warmup_counted": warmup_counted,
        "p50_ms": round(percentile(times, 0.50) * 1000, 2),
        "p95_ms": round(percentile(times, 0.95) * 1000, 2),
        "min_ms": round(min(times) * 1000, 2),
        "max_ms": round(max(times) * 1000, 2),
        "rows": len(rows),
        "fingerprint": fingerprint(rows),
    }


def _models_in_order(manifest: dict) -> list[dict]:
    """Intermediate and mart models, parents before children."""
    nodes = {uid: node for uid, node in manifest["nodes"].items()
             if node["resource_type"] == "model" and node.get("schema") in REDIRECTED_SCHEMAS}
    ordered: list[dict] = []
    done: set[str] = set()

    def visit(uid: str) -> None:
        if uid in done:
            return
        done.add(uid)
        for parent in nodes[uid]["depends_on"]["nodes"]:
            if parent in nodes:
                visit(parent)
        ordered.append(nodes[uid])

    for uid in sorted(nodes):
        visit(uid)
    return ordered


def staging_connection(database: Path, manifest: dict,
                       settings: dict[str, str] | None = None) -> tuple[duckdb.DuckDBPyConnection, int]:
    """An in-memory connection where intermediate.* and marts.* are views down to staging.
    With the profile's settings it spills as dbt's connection does instead of running out of
    memory (at SF10 the staging queries filled DuckDB's default 80% of RAM)."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    apply_settings(con, settings)
    con.execute(f"attach '{database}' as tally (read_only)")
    for schema in REDIRECTED_SCHEMAS:
        con.execute(f'create schema memory."{schema}"')
    models = _models_in_order(manifest)
    for node in models:
        sql = node.get("compiled_code")
        if not sql:
            raise RuntimeError(f"{node['unique_id']} has no compiled SQL in the manifest")
        for schema in REDIRECTED_SCHEMAS:
            sql = sql.replace(f'"tally"."{schema}".', f'"memory"."{schema}".')
        con.execute(f'create view memory."{node["schema"]}"."{node["alias"] or node["name"]}" as {sql}')
    con.execute("use memory.main")
    return con, len(models)


def reads_raw(con: duckdb.DuckDBPyConnection, relation: str = "marts.fct_refunds") -> bool:
    """True when a mart name, as board queries write it, resolves to the views that start from
    staging (its plan scans Parquet files) rather than to the built table. Checked once: planning
    a whole board query from staging takes longer than running it."""
    plan = "\n".join(str(row[-1]) for row in con.execute(f"explain select count(*) from {relation}").fetchall())
    return "PARQUET" in plan.upper()


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def measure(database: Path, manifest_path: Path, charts_dir: Path, runs: int, staging_runs: int,
            staging_budget_s: float, staging_only: list[str] | None = None,
            staging_total_s: float | None = None, slow_s: float = 5.0,
            settings: dict[str, str] | None = None) -> dict:
    queries = distinct_queries(charts_dir)
    manifest = json.loads(manifest_path.read_text())
    results = []
    marts = duckdb.connect(str(database), read_only=True)
    marts.execute("set enable_progress_bar = false")
    for query in queries:
        results.append({"query": query["name"], "used_by": query["used_by"],
                        "marts": time_query(marts, query["sql"], runs)})
        _say(f"marts   {query['name']}: p50 {results[-1]['marts']['p50_ms']} ms")
    marts.close()
    started = time.perf_counter()
    staging, views = staging_connection(database, manifest, settings)
    setup_s = time.perf_counter() - started
    resolves_to_staging = reads_raw(staging)
    # the monthly queries first: a latest_* query reads its monthly query twice, and is the one
    # left out when the total budget runs out
    order = sorted(range(len(queries)), key=lambda i: queries[i]["name"].startswith("latest_"))
    staging_started = time.perf_counter()
    for i in order:
        query, result = queries[i], results[i]
        result.update(staging=None, agree=None, staging_over_marts_p50=None)
        if staging_only and query["name"] not in staging_only:
            result["staging_skipped"] = "skipped: not selected"
            continue
        if staging_total_s is not None and time.perf_counter() - staging_started > staging_total_s:
            result["staging_skipped"] = f"skipped: total staging budget of {staging_total_s:g} s spent"
            continue
        try:
            from_staging = time_query(staging, query["sql"], staging_runs, staging_budget_s, slow_s=slow_s)
        except duckdb.Error as exc:  # at SF10 a query from staging can exhaust memory: that is a figure too
            result["staging_skipped"] = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
            _say(f"staging {query['name']}: {result['staging_skipped']}")
            continue
        result["staging"] = from_staging
        result["agree"] = from_staging["fingerprint"] == result["marts"]["fingerprint"]
        result["staging_over_marts_p50"] = round(from_staging["p50_ms"] / max(result["marts"]["p50_ms"], 1e-3), 1)
        _say(f"staging {query['name']}: p50 {from_staging['p50_ms']} ms over {from_staging['runs']} run(s), "
             f"agree {result['agree']}")
    staging.close()
    marts_p95 = [r["marts"]["p95_ms"] for r in results]
    staged = [r for r in results if r["staging"]]
    return {
        "distinct_queries": len(results),
        "board_queries": sum(len(r["used_by"]) for r in results),
        "runs": runs,
        "staging_runs_max": staging_runs,
        "staging_budget_s": staging_budget_s,
        "staging_total_budget_s": staging_total_s,
        "staging_warmup_counted_over_s": slow_s,
        "staging_views": views,
        "staging_setup_s": round(setup_s, 2),
        "staging_settings": settings or {},
        "marts_p95_max_ms": max(marts_p95) if marts_p95 else None,
        "marts_p50_median_ms": round(statistics.median(r["marts"]["p50_ms"] for r in results), 2) if results else None,
        "staging_queries": len(staged),
        "staging_resolves_to_parquet": resolves_to_staging,
        "staging_p50_median_ms": round(statistics.median(r["staging"]["p50_ms"] for r in staged), 2) if staged else None,
        "staging_p95_max_ms": max((r["staging"]["p95_ms"] for r in staged), default=None),
        "staging_over_marts_p50_median": round(statistics.median(r["staging_over_marts_p50"] for r in staged), 1) if staged else None,
        "all_agree": all(r["agree"] for r in staged),
        "queries": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse.bench.build_boards", description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("charts_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--staging-runs", type=int, default=20)
    parser.add_argument("--staging-budget-s", type=float, default=30.0)
    parser.add_argument("--staging-only", default="", help="comma list of query names to time from staging (default all)")
    parser.add_argument("--staging-total-s", type=float, default=None,
                        help="stop starting staging queries after this many seconds (the rest are reported skipped)")
    parser.add_argument("--profiles", type=Path, default=None,
                        help="profiles.yml whose duckdb settings the staging connection takes")
    args = parser.parse_args(argv)
    result = measure(args.database, args.manifest, args.charts_dir, args.runs, args.staging_runs,
                     args.staging_budget_s, [q for q in args.staging_only.split(",") if q] or None,
                     args.staging_total_s, settings=profile_settings(args.profiles) if args.profiles else None)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
