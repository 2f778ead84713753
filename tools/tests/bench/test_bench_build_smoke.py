"""The warehouse benchmark runs end to end at smoke size (scale 0.002) and writes every figure it
promises: generation, the full build beside dbt's SQL replayed in one DuckDB connection, the
incremental build after an append, publishing, peak memory, and board query latency on the marts
beside the same query computed from staging.

No timing is asserted: a benchmark measures, and a slow or busy machine gives slow figures, not a
failing test. What is checked is that every step ran and the JSON has every field the README reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.bench.duckdb_settings import profile_settings

ROOT = Path(__file__).resolve().parents[3]

STEP = {"wall_s", "cpu_s", "peak_rss_mb", "load", "exit_code"}
LOAD = {"start", "mean", "end", "max"}
DBT_STEPS = ("dbt_build_full", "dbt_build_full_no_unit_tests", "dbt_seed", "dbt_run_full",
             "dbt_build_incremental", "dbt_build_nothing_new", "dbt_run_incremental")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("bench")
    out = folder / "warehouse.json"
    completed = subprocess.run(
        [sys.executable, "-m", "warehouse.bench.build", "--smoke", "--out", str(out), "--work-dir", str(folder / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "targets (set for SF10)" in completed.stdout
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def scale(smoke) -> dict:
    assert list(smoke["scales"]) == ["0.002"]
    return smoke["scales"]["0.002"]


def test_writes_every_section(smoke, scale):
    assert {"benchmark", "created_at", "command", "project", "machine", "settings", "targets", "scales"} <= set(smoke)
    assert smoke["benchmark"] == "warehouse-build"
    assert {"cpus", "memory_gb", "load_average_start", "load_average_end", "versions"} <= set(smoke["machine"])
    assert {"generate", *DBT_STEPS, "raw_replay", "publish", "boards", "append", "peak_memory", "ratios",
            "targets", "load_start", "load_end"} <= set(scale)


def test_the_host_yardstick_ran_before_and_after(scale):
    """The fixed DuckDB workload ran before the first step and after the last, and the full
    build is also given in its units, to compare runs from hours when the host ran at another speed."""
    timed = scale["host_yardstick"]
    for when in ("before", "after"):
        assert timed[when]["runs"] == 1 and timed[when]["wall_s"] > 0 and timed[when]["cpu_s"] > 0, when
    yardstick = (timed["before"]["wall_s"] + timed["after"]["wall_s"]) / 2
    assert scale["ratios"]["full_build_over_host_yardstick"] == round(scale["dbt_build_full"]["wall_s"] / yardstick, 1)


def test_every_step_was_measured(scale):
    for name in ("generate", *DBT_STEPS, "raw_replay", "boards", "append"):
        step = scale[name]
        assert STEP <= set(step), name
        assert LOAD <= set(step["load"]), name
        assert step["exit_code"] == 0, name
    assert scale["generate"]["rows"] > 0 and scale["generate"]["bytes_on_disk"] > 0
    assert scale["append"]["new_orders"] > 0


def test_dbt_runs_report_their_nodes(scale):
    for name in DBT_STEPS:
        dbt = scale[name]["dbt"]
        assert {"elapsed_s", "nodes", "statuses", "failed", "by_kind", "slowest"} <= set(dbt), name
        assert dbt["failed"] == [], name
        assert {"node", "kind", "status", "execution_s", "compile_s"} <= set(dbt["slowest"][0]), name
    full = scale["dbt_build_full"]
    assert {"unit_test", "test", "seed", "model:view", "model:table", "model:incremental"} <= set(full["dbt"]["by_kind"])
    assert len(full["all_nodes"]) == full["dbt"]["nodes"]
    assert "outside_run_s" in full and full["database_bytes"] > 0
    assert "unit_test" not in scale["dbt_build_full_no_unit_tests"]["dbt"]["by_kind"]
    # the build with nothing new runs the incremental build's nodes again, on the same database
    assert scale["dbt_build_nothing_new"]["dbt"]["nodes"] == scale["dbt_build_incremental"]["dbt"]["nodes"]


def test_the_replay_ran_dbts_sql_without_unit_tests(scale):
    replay = scale["raw_replay"]
    assert {"models_s", "tests_s", "seeds_s", "by_kind", "nodes", "checkpoint_close_s", "failing_tests"} <= set(replay)
    assert replay["failing_tests"] == []
    full_kinds = scale["dbt_build_full"]["dbt"]["by_kind"]
    for kind in ("seed", "test", "model:view", "model:table", "model:incremental"):
        assert replay["by_kind"][kind]["count"] == full_kinds[kind]["count"], kind
    assert "unit_test" not in replay["by_kind"]
    # the replay's connection is set up as the profile's duckdb target sets up dbt's
    assert replay["settings"] == profile_settings(ROOT / "profiles.yml")
    assert {"memory_limit", "preserve_insertion_order"} <= set(replay["settings"])


def test_publish_figures(scale):
    publish = scale["publish"]
    assert {"database_bytes", "publish_full", "copy_to_private", "publish_incremental"} <= set(publish)
    assert {"wall_s", "cpu_s", "bytes_on_disk", "mb_per_s"} <= set(publish["copy_to_private"])
    assert publish["copy_to_private"]["bytes_on_disk"] > 0


def test_board_queries_on_marts_and_from_staging(scale):
    boards = scale["boards"]
    assert {"distinct_queries", "board_queries", "runs", "marts_p95_max_ms", "marts_p50_median_ms",
            "staging_queries", "staging_p50_median_ms", "staging_p95_max_ms", "staging_resolves_to_parquet",
            "all_agree", "queries"} <= set(boards)
    assert boards["distinct_queries"] == len(boards["queries"]) > 0
    assert boards["staging_resolves_to_parquet"] is True
    assert boards["all_agree"] is True, "a query computed from staging disagrees with the marts"
    timed = {"runs", "p50_ms", "p95_ms", "min_ms", "max_ms", "warmup_ms", "rows", "fingerprint"}
    for query in boards["queries"]:
        assert timed <= set(query["marts"]), query["query"]
        assert query["used_by"], query["query"]
    staged = [q for q in boards["queries"] if q["staging"]]
    assert len(staged) == boards["staging_queries"] >= 1
    assert all(timed <= set(q["staging"]) for q in staged)
    assert boards["staging_settings"] == profile_settings(ROOT / "profiles.yml")  # spills, as dbt would


def test_peak_memory_ratios_and_targets(scale):
    assert {"max_mb", "step", "by_step_mb"} <= set(scale["peak_memory"])
    assert scale["peak_memory"]["max_mb"] == max(scale["peak_memory"]["by_step_mb"].values())
    ratios = scale["ratios"]
    assert {"dbt_build_over_raw", "dbt_build_over_raw_cpu", "dbt_build_no_unit_over_raw", "dbt_run_over_raw_models",
            "incremental_build_share", "incremental_build_share_cpu", "nothing_new_build_share",
            "incremental_run_share", "staging_over_marts_p50_median"} <= set(ratios)
    assert all(value is not None and value > 0 for value in ratios.values())
    assert set(scale["targets"]) == {"full_build_s", "full_build_peak_gb", "dbt_over_raw", "dbt_over_raw_no_unit_tests",
                                     "incremental_share", "board_p95_ms"}
    assert all(isinstance(target["met"], bool) for target in scale["targets"].values())
