"""dbt's own SQL, replayed in one DuckDB connection: the floor a `dbt build` is measured against.

    python -m warehouse.bench.build_raw <artifacts> <database> <out.json>

<artifacts> holds the run_results.json and manifest.json of a `dbt build --full-refresh`; every
node that ran is replayed, in the order dbt finished them (a valid order of the DAG), from the
file dbt executed for it under target/run/ (the manifest's build_path):

* a seed: dbt's `create table` with the seed's column types and its `COPY ... FROM '<csv>'`;
* a model: the DDL dbt ran, `create view ... as`, or `create table ... as`, or, for a mart with
  an enforced contract, `create table (<columns>)` then `insert into ... select`; dbt writes it
  to `<name>__dbt_tmp` and renames it afterwards, the replay writes the final name directly;
* a data test: the query dbt ran, `select count(*) as failures ... from (<test>)`, fetched.

Unit tests are not replayed: they have no SQL of their own outside dbt (dbt builds their
fixtures as temporary tables); the benchmark reports their dbt time apart.

What the replay leaves out is what dbt adds: starting Python and loading dbt, parsing the project
and rendering Jinja, the relation cache and metadata queries, contract checks, the rename and
drop of `__dbt_tmp` and backup relations, the unit tests, writing artifacts, and its scheduling
on `threads` threads. Both sides run on the same raw data in a fresh tally.duckdb with the
DuckDB settings of the profile's duckdb target (memory limit, insertion order), so the replay
plans and spills as dbt's connection does; DuckDB parallelises each statement over every core
on both sides.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import duckdb

from warehouse.bench.duckdb_settings import apply_settings, profile_settings

REPLAYED = ("seed", "model", "test")
RAN = {"success", "pass", "fail", "warn"}
TMP_SUFFIX = re.compile(r'__dbt_tmp"')


def replay_plan(artifacts: Path) -> list[dict]:
    """The nodes to replay, in dbt's completion order, each with the SQL dbt executed."""
    run_results = json.loads((artifacts / "run_results.json").read_text())
    manifest = json.loads((artifacts / "manifest.json").read_text())
    plan = []
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        resource_type = unique_id.split(".", 1)[0]
        if resource_type not in REPLAYED or result.get("status") not in RAN:
            continue
        node = manifest["nodes"][unique_id]
        sql = Path(node["build_path"]).read_text()
        if resource_type in ("model", "seed"):
            sql = TMP_SUFFIX.sub('"', sql)
        plan.append({
            "unique_id": unique_id,
            "kind": resource_type if resource_type != "model" else f"model:{node['config'].get('materialized')}",
            "schema": node.get("schema"),
            "sql": sql,
        })
    return plan


def replay(plan: list[dict], database: Path, settings: dict[str, str] | None = None) -> dict:
    """Run the plan in one connection; seconds per node and per kind, and the whole wall time."""
    started = time.perf_counter()
    con = duckdb.connect(str(database))
    apply_settings(con, settings)
    for schema in sorted({item["schema"] for item in plan if not item["kind"] == "test" and item["schema"]}):
        con.execute(f'create schema if not exists "{schema}"')
    nodes = []
    for item in plan:
        t0 = time.perf_counter()
        cursor = con.execute(item["sql"])
        failures = None
        if item["kind"] == "test":
            row = cursor.fetchone()
            failures = row[0] if row else None
        nodes.append({"unique_id": item["unique_id"], "kind": item["kind"],
                      "seconds": round(time.perf_counter() - t0, 3), "failures": failures})
    t0 = time.perf_counter()
    con.execute("checkpoint")
    con.close()
    close_s = time.perf_counter() - t0
    wall = time.perf_counter() - started
    by_kind: dict[str, dict] = {}
    for node in nodes:
        kind = by_kind.setdefault(node["kind"], {"count": 0, "seconds": 0.0})
        kind["count"] += 1
        kind["seconds"] = round(kind["seconds"] + node["seconds"], 3)
    return {
        "wall_s": round(wall, 2),
        "checkpoint_close_s": round(close_s, 2),
        "by_kind": dict(sorted(by_kind.items())),
        "models_s": round(sum(n["seconds"] for n in nodes if n["kind"].startswith("model")), 2),
        "tests_s": round(sum(n["seconds"] for n in nodes if n["kind"] == "test"), 2),
        "seeds_s": round(sum(n["seconds"] for n in nodes if n["kind"] == "seed"), 2),
        "failing_tests": [n["unique_id"] for n in nodes if n["failures"]],
        "nodes": sorted(nodes, key=lambda n: -n["seconds"]),
    }


def main(argv: list[str] | None = None) -> int:
    """build_raw ARTIFACTS DATABASE OUT [PROFILES_YML]"""
    args = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    artifacts, database, out = args[:3]
    settings = profile_settings(args[3]) if len(args) > 3 else {}
    if database.exists():
        raise SystemExit(f"{database} exists: the replay needs a fresh file")
    database.parent.mkdir(parents=True, exist_ok=True)
    result = replay(replay_plan(artifacts), database, settings)
    result["settings"] = settings
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
