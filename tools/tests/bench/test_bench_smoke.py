"""The linter benchmark runs end to end at smoke size and writes every figure it promises.

No timing is asserted: a benchmark measures, and a slow or busy machine gives slow figures,
not a failing test. What is checked is that each contestant ran over the same units and that
the JSON has every field the README and CI read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

TIMING = {"wall_s", "cpu_s"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "linter.json"
    completed = subprocess.run(
        [sys.executable, "-m", "warehouse.bench.linter", "--smoke", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "tally vs sqlfluff speed-up" in completed.stdout
    return json.loads(out.read_text())


def test_writes_every_section(smoke):
    assert {"benchmark", "command", "machine", "project", "tally_cli", "tally_engine", "sqlglot", "sqlfluff",
            "ratios", "targets"} <= set(smoke)
    assert smoke["benchmark"] == "linter"
    assert {"cpus", "load_average_start", "load_average_end", "versions"} <= set(smoke["machine"])


def test_the_project_is_the_smoke_size_and_compiled(smoke):
    project = smoke["project"]
    assert project["models"] == 50 and project["board_queries"] == 50 and project["units"] == 100
    assert project["models_compiled"] == project["models"]
    assert project["semantic_models"] >= 1 and project["metrics"] >= 4
    assert project["queries_drifting"] >= 1
    for command in ("parse", "compile"):
        assert TIMING <= set(project["dbt"][command])


def test_tally_checked_every_unit(smoke):
    cli, engine = smoke["tally_cli"], smoke["tally_engine"]
    assert TIMING | {"peak_rss_mb", "files_per_s", "findings_by_code"} <= set(cli)
    assert cli["units"] == engine["units"] == smoke["project"]["units"]
    assert cli["exit_code"] in (0, 1)
    assert any(code.startswith("MC") for code in cli["findings_by_code"]), "drifting queries found no MC finding"
    assert cli["findings"] == engine["findings"]
    assert TIMING | {"files_per_s", "phases", "steps", "rules"} <= set(engine)
    assert {"parse", "qualify_columns", "scopes", "extract_aggregates"} <= set(engine["steps"])


def test_bare_sqlglot_parsed_and_qualified_the_same_units(smoke):
    floor = smoke["sqlglot"]
    assert floor["units"] == smoke["project"]["units"]
    assert TIMING | {"files_per_s"} <= set(floor)
    assert {"parse", "qualify"} <= set(floor["steps"])
    assert floor["errors"] == {"parse": 0, "qualify": 0}


def test_sqlfluff_linted_with_the_jinja_templater(smoke):
    fluff = smoke["sqlfluff"]
    assert fluff["templater"] == "jinja"
    assert fluff["files"] == 20 and fluff["sampled"] and fluff["total_files"] == 100
    assert {"files_per_s", "extrapolated_wall_s", "extrapolated_cpu_s", "processes", "peak_rss_mb"} <= set(fluff)
    assert fluff["templating_errors"] == 0 and fluff["parse_errors"] == 0


def test_ratios_and_targets(smoke):
    assert {"speedup_vs_sqlfluff", "speedup_vs_sqlfluff_cpu", "tally_over_sqlglot", "tally_over_sqlglot_cpu",
            "tally_cli_over_sqlglot_process"} <= set(smoke["ratios"])
    assert all(value > 0 for value in smoke["ratios"].values())
    assert set(smoke["targets"]) == {"check_seconds", "speedup_vs_sqlfluff", "ratio_to_sqlglot"}
    assert all(isinstance(target["met"], bool) for target in smoke["targets"].values())
