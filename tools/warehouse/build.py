"""`make build`: build and audit the warehouse in a private copy, then publish it.

Every step must pass before anything is published: dbt build (models, data tests, unit tests,
row accounting), the catalog for the linter, `tally check` on the project and its boards, the
numbers-agree check (MetricFlow = marts = board tiles), and rendering the boards. If any step
fails, the private copy is discarded and the previously published build keeps being served.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb

from warehouse import boards, paths, verify
from warehouse.fingerprint import code_fingerprint, relations_fingerprint
from warehouse.publish import BuildLockedError, Warehouse, new_build_id

BIN = Path(sys.executable).parent


class StepFailed(RuntimeError):
    """A build step failed; its message says what, for the person who ran the build."""


@dataclass
class BuildContext:
    build_id: str
    private: Path
    full_refresh: bool
    record: dict = field(default_factory=dict)
    skip: frozenset[str] = frozenset()
    previous: dict = field(default_factory=dict)  # the published build's record, when incremental

    def env(self, read_only: bool = False) -> dict[str, str]:
        """Environment that points dbt, MetricFlow and dct at the private copy."""
        return {
            **os.environ,
            "TALLY_DUCKDB_PATH": str(self.private),
            "TALLY_DUCKDB_READ_ONLY": str(read_only),
            "TALLY_TARGET": "duckdb",
            "DBT_PROFILES_DIR": str(paths.ROOT),
            "DBT_PROJECT_DIR": str(paths.ROOT),
            "DO_NOT_TRACK": "1",
        }


def run(command: list[str], env: dict[str, str], what: str) -> None:
    """Run a command in the project root, streaming its output; raise StepFailed on failure."""
    print(f"\n==> {what}: {' '.join(command)}", flush=True)
    completed = subprocess.run(command, cwd=paths.ROOT, env=env)
    if completed.returncode != 0:
        raise StepFailed(f"{what} failed (exit {completed.returncode})")


# Views and seeds hold nothing a build computes: dbt drops and creates every view, and loads every
# seed again, on each run so that changed code takes effect. With the code and raw folder of the
# published build they are exactly what dbt would create (scale 10: 28 nodes, 2-3 s of an
# incremental build of 45-50 s). Their data tests still run: `--indirect-selection empty` keeps
# an excluded node from taking its tests with it.
KEPT_RELATIONS_EXCLUDE = ["config.materialized:view", "resource_type:seed"]


def incremental_build_args(skip_unit_tests: bool, keep_views_and_seeds: bool) -> list[str]:
    """The selection of `dbt build` for an incremental build (also what the benchmark runs)."""
    excluded = (["resource_type:unit_test"] if skip_unit_tests else []) + (
        KEPT_RELATIONS_EXCLUDE if keep_views_and_seeds else [])
    args = ["--exclude", *excluded] if excluded else []
    return args + (["--indirect-selection", "empty"] if keep_views_and_seeds else [])


def dbt_build(ctx: BuildContext) -> None:
    command = [str(BIN / "dbt"), "build", "--target", "duckdb"]
    if ctx.full_refresh:
        command.append("--full-refresh")
    skip_unit_tests = skips_unit_tests(ctx)
    # Unit tests read fixed rows, not the warehouse: with the code and dbt as they were in the
    # published build, which passed them, they can only pass again. Otherwise they are recorded
    # as this build's; it is published only if they pass.
    passed_in = _reused_from(ctx, "unit_tests_passed_in", skip_unit_tests)
    if skip_unit_tests:
        print(f"  unit tests skipped: the code is as in build {passed_in}, which passed them", flush=True)
    keep, why_not = keeps_views_and_seeds(ctx)
    created_in = _reused_from(ctx, "views_and_seeds_from", keep)
    if keep:
        print(f"  views and seeds kept as build {created_in} created them:"
              " the code and the raw data folder are unchanged", flush=True)
    elif why_not:
        print(f"  views and seeds created again: {why_not}", flush=True)
    command += incremental_build_args(skip_unit_tests, keep)
    try:
        run(command, ctx.env(), "dbt build")
    finally:
        ctx.record["dbt"] = summarise_run_results(paths.TARGET_DIR / "run_results.json")
        ctx.record["views_and_seeds"] = views_and_seeds(paths.TARGET_DIR / "manifest.json")


def _reused_from(ctx: BuildContext, key: str, reused: bool) -> str:
    """Record under `key` the build whose work this one reuses: the published build's entry when
    `reused`, else this build itself. Returns it."""
    ctx.record[key] = ctx.previous[key] if reused else ctx.build_id
    return ctx.record[key]


def skips_unit_tests(ctx: BuildContext) -> bool:
    """An incremental build skips the unit tests when the published build it starts from has
    the same code (warehouse.fingerprint) and passed them, itself or in an earlier build with
    that code; a full refresh always runs them."""
    if ctx.full_refresh or not ctx.previous.get("unit_tests_passed_in"):
        return False
    return ctx.previous.get("code_fingerprint") == ctx.record.get("code_fingerprint")


def keeps_views_and_seeds(ctx: BuildContext) -> tuple[bool, str]:
    """(keep, why not): an incremental build keeps the views and seeds of the copy it starts from
    when the published build compiled them from the same code and raw folder
    (fingerprint.relations_fingerprint) and every one of them is in the copy. A full refresh,
    or a first build, creates them."""
    if ctx.full_refresh or not ctx.previous.get("views_and_seeds_from") or not ctx.previous.get("views_and_seeds"):
        return False, ""
    if ctx.previous.get("relations_fingerprint") != ctx.record.get("relations_fingerprint"):
        return False, "the code or the raw data folder changed since the published build"
    missing = missing_relations(ctx.private, ctx.previous.get("views_and_seeds", []))
    if missing:
        return False, f"{len(missing)} of them not in the copy of the published build ({', '.join(missing[:3])})"
    return True, ""


def views_and_seeds(manifest: Path) -> list[str]:
    """schema.name of every view and seed in dbt's manifest."""
    if not manifest.exists():
        return []
    nodes = json.loads(manifest.read_text()).get("nodes", {}).values()
    return sorted(
        f"{node['schema']}.{node['alias']}" for node in nodes
        if node.get("resource_type") == "seed"
        or (node.get("resource_type") == "model" and node.get("config", {}).get("materialized") == "view")
    )


def missing_relations(database: Path, relations: list[str]) -> list[str]:
    """The schema.name entries that are neither a view nor a table in the database."""
    if not relations:
        return []
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            present = {f"{schema}.{name}" for schema, name in con.execute(
                "select schema_name, view_name from duckdb_views() where not internal"
                " union all select schema_name, table_name from duckdb_tables()").fetchall()}
    except duckdb.Error:
        return list(relations)
    return [relation for relation in relations if relation not in present]


def dbt_docs(ctx: BuildContext) -> None:
    run([str(BIN / "dbt"), "docs", "generate", "--target", "duckdb"], ctx.env(), "dbt docs generate")


def tally_check(ctx: BuildContext) -> None:
    run([str(BIN / "tally"), "check", "--target-path", str(paths.TARGET_DIR)], ctx.env(read_only=True),
        "tally check")


def numbers_agree(ctx: BuildContext) -> None:
    """Every board number equals MetricFlow's answer for its metric, on this build."""
    print("\n==> numbers agree: every board number against MetricFlow", flush=True)
    problems = verify.verify_boards(ctx.private, paths.TARGET_DIR / "semantic_manifest.json")
    if problems:
        for problem in problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        raise StepFailed(f"{len(problems)} board number(s) disagree with MetricFlow")
    print("  every board number agrees with its metric", flush=True)


def render_boards(ctx: BuildContext) -> None:
    """Render the boards from this build into a folder beside it; publishing moves them."""
    print("\n==> render boards", flush=True)
    try:
        rendered = boards.render_boards(ctx.private, ctx.private.parent / "boards")
    except boards.BoardError as exc:
        raise StepFailed(f"rendering the boards failed: {exc}") from exc
    print(f"  {len(rendered)} board(s) rendered", flush=True)


def stamp(ctx: BuildContext) -> None:
    """Record the build inside the database, for BI tools to show what they are reading."""
    dbt = ctx.record.get("dbt", {})
    with duckdb.connect(str(ctx.private)) as con:
        con.execute("create schema if not exists meta")
        con.execute(
            """
            create or replace table meta.build_info as
            select ? as build_id, cast(? as timestamp) as built_at, ? as git_commit,
                   ? as scale, ? as models_built, ? as tests_passed, ? as tests_warned, ? as tests_total
            """,
            [
                ctx.build_id,
                datetime.now(timezone.utc).replace(tzinfo=None),
                ctx.record.get("git_commit", ""),
                str(ctx.record.get("scale", "")),
                dbt.get("models", 0),
                dbt.get("tests_passed", 0),
                dbt.get("tests_warned", 0),
                dbt.get("tests", 0),
            ],
        )
        con.execute("checkpoint")


def summarise_run_results(path: Path) -> dict:
    """Counts by resource type and status from dbt's run_results.json. A test of severity warn
    that finds rows passes the build: it is counted as warned, not passed and not failed."""
    if not path.exists():
        return {}
    results = json.loads(path.read_text()).get("results", [])
    summary = {"models": 0, "tests": 0, "tests_passed": 0, "tests_warned": 0, "unit_tests": 0, "failed": []}
    for result in results:
        unique_id = result.get("unique_id", "")
        status = result.get("status")
        if unique_id.startswith("model."):
            summary["models"] += status == "success"
        summary["unit_tests"] += unique_id.startswith("unit_test.")
        if unique_id.startswith(("test.", "unit_test.")):
            summary["tests"] += 1
            summary["tests_passed"] += status == "pass"
            summary["tests_warned"] += status == "warn"
        if status in ("error", "fail"):
            summary["failed"].append(f"{unique_id} ({status})")
    return summary


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True
        )
        return out.stdout.strip()
    except OSError:
        return ""


def raw_scale() -> str:
    manifest = paths.RAW_DIR / "_manifest.json"
    if manifest.exists():
        return str(json.loads(manifest.read_text()).get("scale", ""))
    return ""


STEPS: list[tuple[str, Callable[[BuildContext], None]]] = [
    ("dbt build", dbt_build),
    ("dbt docs generate", dbt_docs),
    ("tally check", tally_check),
    ("numbers agree", numbers_agree),
    ("render boards", render_boards),
    ("stamp build info", stamp),
]


OPTIONAL_STEPS = {"render boards"}  # may be skipped (--skip render-boards) where images are not needed


def build(full_refresh: bool = False, warehouse: Warehouse | None = None, skip: set[str] | None = None) -> int:
    warehouse = warehouse or Warehouse()
    unknown = set(skip or ()) - OPTIONAL_STEPS
    if unknown:
        print(f"error: only {', '.join(sorted(OPTIONAL_STEPS))} can be skipped, not {', '.join(sorted(unknown))}",
              file=sys.stderr)
        return 2
    try:
        with warehouse.build_lock():
            return _build_locked(warehouse, full_refresh, frozenset(skip or ()))
    except BuildLockedError as exc:
        print(f"error: {exc}; wait for it to finish and run the build again.", file=sys.stderr)
        return 2


def _build_locked(warehouse: Warehouse, full_refresh: bool, skip: frozenset[str]) -> int:
    build_id = new_build_id()
    incremental = not full_refresh and warehouse.current() is not None
    started = time.perf_counter()
    private = warehouse.start_private(from_published=incremental)
    copied = round(time.perf_counter() - started, 2)
    previous = warehouse.current()
    ctx = BuildContext(build_id, private, full_refresh=not incremental, skip=skip,
                       previous=previous.record if incremental and previous else {})
    code = code_fingerprint(paths.ROOT)
    ctx.record.update(
        build_id=build_id,
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        mode="incremental" if incremental else "full refresh",
        git_commit=git_commit(),
        code_fingerprint=code,
        relations_fingerprint=relations_fingerprint(code, paths.RAW_DIR),
        scale=raw_scale(),
        # An incremental build starts from a copy of the published file: the price of never
        # writing the file readers use, recorded with every build.
        steps={"private copy": copied} if incremental else {},
    )
    print(f"Building {build_id} ({ctx.record['mode']}) in {os.path.relpath(private, paths.ROOT)}")
    if incremental:
        print(f"  started from a copy of the published build ({copied:.2f} s)")
    for name, step in STEPS:
        if name in skip:
            ctx.record["steps"][name] = "skipped"
            continue
        started = time.perf_counter()
        try:
            step(ctx)
        except StepFailed as exc:
            return _fail(warehouse, ctx, name, str(exc))
        ctx.record["steps"][name] = round(time.perf_counter() - started, 2)
    ctx.record["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    published = warehouse.publish(build_id, private, ctx.record)
    copy_boards(published.database.parent / "boards", paths.BOARDS_DIR)
    print(f"\nPublished build {published.build_id} at {os.path.relpath(paths.PUBLISHED, paths.ROOT)}")
    return 0


def copy_boards(source: Path, dest: Path) -> None:
    """The served build's board images, where users look for them (build/boards/): after a
    publish, and after a rollback."""
    if not source.exists():
        return
    clear_dir(dest)
    for image in source.iterdir():
        shutil.copy2(image, dest / image.name)


def _fail(warehouse: Warehouse, ctx: BuildContext, step: str, reason: str) -> int:
    evidence = failing_rows(ctx.private, paths.TARGET_DIR / "run_results.json")
    warehouse.discard_private(ctx.private)
    failed = ctx.record.get("dbt", {}).get("failed", [])
    print(f"\nBUILD FAILED at step '{step}': {reason}", file=sys.stderr)
    for item in failed[:20]:
        print(f"  - {item}", file=sys.stderr)
        for line in evidence.get(item.rsplit(" (", 1)[0], []):
            print(f"      {line}", file=sys.stderr)
    current = warehouse.current()
    if current is None:
        print("Nothing was published; there is no earlier build to serve.", file=sys.stderr)
    else:
        print(
            f"Nothing was published. BI tools still read build {current.build_id} "
            f"(built {current.built_at}) at {paths.PUBLISHED}.",
            file=sys.stderr,
        )
    return 1


def failing_rows(database: Path, run_results: Path, limit: int = 5) -> dict[str, list[str]]:
    """{failed data test: its first rows in order, e.g. 'record_key=164, version=..., different_contents=2'},
    read from the private copy before it is discarded, so the output names the keys to look at.
    Best effort: a test whose query cannot run again here is left out."""
    if not run_results.exists() or not database.exists():
        return {}
    failed = [r for r in json.loads(run_results.read_text()).get("results", [])
              if r.get("status") == "fail" and r.get("unique_id", "").startswith("test.") and r.get("compiled_code")]
    if not failed:
        return {}
    rows: dict[str, list[str]] = {}
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        return {}
    with con:
        for result in failed[:20]:
            try:
                cursor = con.execute(
                    f"select * from (\n{result['compiled_code']}\n) as failures order by all limit {limit}"
                )
                names = [d[0] for d in cursor.description]
                found = cursor.fetchall()
            except duckdb.Error:
                continue
            rows[result["unique_id"]] = [", ".join(f"{n}={v}" for n, v in zip(names, row)) for row in found]
            if (result.get("failures") or 0) > limit:
                rows[result["unique_id"]].append(f"... {result['failures'] - limit} more")
    return rows


def clear_dir(directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
