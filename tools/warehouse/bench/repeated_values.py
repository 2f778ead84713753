"""Uniqueness tests on DuckDB: grouping by the key against sorting it (macro repeated_values).

    python -m warehouse.bench.repeated_values [--raw data/raw] [--database build/warehouse/tally.duckdb]

Both SQL texts come from the project's macros (default__repeated_values groups, as dbt's own
unique test does; duckdb__repeated_values sorts), compiled by `dbt compile --inline`. Each is run
on the same keys, side by side in one DuckDB connection, and must return the same rows. The keys
are the largest the build tests: the raw web events, order versions and sessions (Parquet), and
two fact tables of a built warehouse. Prints CPU seconds and their ratio per case, and writes
them to build/bench/repeated-values.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

from warehouse import paths
from warehouse.bench.build_dbt import DBT, DbtFolder
from warehouse.bench.build_measure import measured_block

IMPLEMENTATIONS = {"grouped": "default__repeated_values", "sorted": "duckdb__repeated_values"}
MARKER = "-- repeated_values case "
# name: (relation, [expression, alias] pairs, where); {raw} is the raw Parquet folder.
CASES = {
    "web.events id (raw)": ("read_parquet('{raw}/web/events/*.parquet', union_by_name = true)",
                            [["id", "unique_field"]], "id is not null"),
    "shop.orders (id, _cdc_lsn) (raw)": ("read_parquet('{raw}/shop/orders/*.parquet', union_by_name = true)",
                                         [["id", "record_key"], ["_cdc_lsn", "version"]], "id is not null"),
    "web.sessions id (raw)": ("read_parquet('{raw}/web/sessions/*.parquet', union_by_name = true)",
                              [["id", "unique_field"]], "id is not null"),
    "fct_sessions session_id": ("tally.marts.fct_sessions", [["session_id", "unique_field"]], "session_id is not null"),
    "fct_order_items order_item_id": ("tally.marts.fct_order_items", [["order_item_id", "unique_field"]],
                                      "order_item_id is not null"),
}


class BenchError(RuntimeError):
    """The benchmark cannot run as asked; the message says why."""


def compiled_queries(raw: Path) -> dict[tuple[str, str], str]:
    """Every case's SQL for both implementations, rendered by dbt from the project's macros."""
    parts = []
    for index, (_name, (_relation, columns, where)) in enumerate(CASES.items()):
        for implementation, macro in IMPLEMENTATIONS.items():
            # the relation is put in after compiling: a Parquet path in a Jinja string literal
            # would need its quotes escaped
            parts.append(f"{MARKER}{index} {implementation}\n"
                         f"{{{{ tally.{macro}('__relation__', {json.dumps(columns)}, 'n_records', {where!r}) }}}}")
    # in a scratch folder: its own target path (the project's target/ is the linter's) and file
    with tempfile.TemporaryDirectory(prefix="tally-repeated-values-") as scratch:
        env = DbtFolder(paths.ROOT, raw, Path(scratch)).env()
        done = subprocess.run([DBT, "compile", "--quiet", "--output", "json", "--inline", "\n".join(parts)],
                              cwd=paths.ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"dbt compile failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    try:
        compiled = json.loads(done.stdout[done.stdout.index("{"):])["compiled"]
    except (ValueError, KeyError) as error:
        raise BenchError(f"dbt compile printed no compiled SQL ({error}):\n{done.stdout[-2000:]}") from error
    names = list(CASES)
    queries = {}
    for block in compiled.split(MARKER)[1:]:
        header, sql = block.split("\n", 1)
        index, implementation = header.split()
        relation = CASES[names[int(index)]][0].format(raw=raw)
        queries[(names[int(index)], implementation)] = sql.replace("__relation__", relation)
    if len(queries) != len(CASES) * len(IMPLEMENTATIONS):
        raise BenchError(f"dbt compiled {len(queries)} queries, not {len(CASES) * len(IMPLEMENTATIONS)}")
    return queries


def run_case(con: duckdb.DuckDBPyConnection, name: str, queries: dict, runs: int) -> dict:
    """Both implementations on one case, alternating, `runs` times; the least CPU of each."""
    timings: dict[str, list[dict]] = {implementation: [] for implementation in IMPLEMENTATIONS}
    answers = {}
    for _ in range(runs):
        for implementation in IMPLEMENTATIONS:
            with measured_block() as timed:
                answers[implementation] = sorted(con.execute(queries[(name, implementation)]).fetchall(), key=repr)
            timings[implementation].append(timed)
    if answers["grouped"] != answers["sorted"]:
        raise BenchError(f"{name}: the implementations disagree ({len(answers['grouped'])} rows grouped,"
                         f" {len(answers['sorted'])} sorted)")
    best = {implementation: min(timed, key=lambda t: t["cpu_s"]) for implementation, timed in timings.items()}
    return {
        "repeated": len(answers["sorted"]),
        **{f"{implementation}_cpu_s": best[implementation]["cpu_s"] for implementation in IMPLEMENTATIONS},
        **{f"{implementation}_wall_s": best[implementation]["wall_s"] for implementation in IMPLEMENTATIONS},
        "cpu_ratio_grouped_to_sorted": round(best["grouped"]["cpu_s"] / max(best["sorted"]["cpu_s"], 1e-6), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--raw", type=Path, default=paths.ROOT / "data" / "raw", help="raw Parquet folder")
    parser.add_argument("--database", type=Path, default=paths.ROOT / "build" / "warehouse" / "tally.duckdb",
                        help="a built warehouse (read only)")
    parser.add_argument("--runs", type=int, default=2, help="runs of each implementation per case")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=paths.ROOT / "build" / "bench" / "repeated-values.json")
    args = parser.parse_args(argv)
    try:
        for needed in (args.raw / "web" / "events", args.database):
            if not needed.exists():
                raise BenchError(f"{needed} does not exist: run `make build` (or pass --raw/--database)")
        queries = compiled_queries(args.raw.resolve())
        con = duckdb.connect()
        con.execute(f"set threads = {args.threads}")
        con.execute("set preserve_insertion_order = false")
        con.execute(f"attach '{args.database.resolve()}' as tally (read_only)")
        results = {}
        print(f"{'case':36} {'repeats':>8} {'grouped CPU-s':>14} {'sorted CPU-s':>13} {'ratio':>6}")
        for name in CASES:
            results[name] = run_case(con, name, queries, args.runs)
            r = results[name]
            print(f"{name:36} {r['repeated']:>8} {r['grouped_cpu_s']:>14.2f} {r['sorted_cpu_s']:>13.2f}"
                  f" {r['cpu_ratio_grouped_to_sorted']:>5.2f}x", flush=True)
    except (BenchError, duckdb.Error) as error:
        print(f"repeated_values benchmark: {error}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"raw": str(args.raw), "database": str(args.database), "runs": args.runs,
                                    "threads": args.threads, "cases": results}, indent=2) + "\n")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
