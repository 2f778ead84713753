"""tally on a dbt project that is not ours: Harbor Stays (tools/tests/fixtures/other_project).

Harbor names and files things its own way: staging models are `base_*` under models/base/,
intermediate ones `prep_*` under models/logic/, marts plain nouns (bookings, guests) under
models/reporting/; its raw data are seeds; its metrics are bookings, booking_value,
cancellation_rate (ratio) and value_per_booking (derived); its dashboards are plain .sql files
(`sql_paths`) and a board (`dashboards`), all set in its own pyproject.toml. The project is
built with `dbt build` into a temporary folder, then checked with the real `tally check`.

Some of its dashboards drift from the metrics on purpose, and two models break its layering
on purpose (base_payouts reads a mart; logic/bookings_by_night lacks the prep_ prefix). tally
must find exactly those, at the right lines, and nothing in the models that follow Harbor's
conventions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tally import config as tally_config
from tally.engine import build_shared, check, enabled_rules
from tally.inputs.artifacts import load_artifacts
from tally.inputs.collect import collect
from tally.rules.registry import BY_CODE

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "other_project"
BIN = Path(sys.executable).parent

# Every finding tally must report on Harbor: (path, line, column, code).
DRIFTING_DASHBOARDS = {
    # counts cancelled bookings too: the `bookings` metric excludes them
    ("dashboards/weekly_bookings.sql", 5, 5, "MC002"),
    # averages daily cancellation rates: cancellation_rate is a ratio of the period's counts
    ("dashboards/cancellations_by_channel.sql", 19, 5, "MC008"),
    # reads a logic model, not a public reporting mart
    ("dashboards/nightly_value.sql", 6, 6, "GV002"),
    # new_guests without the test-guest filter, in a board's block scalar
    ("boards/guest_growth.yml", 6, 12, "MC002"),
    # a column named `n` that the board's KPI labels "Bookings": all requests, cancelled too
    ("boards/guest_growth.yml", 14, 12, "MC002"),
}
LAYERING_MISTAKES = {
    # a base (staging) model that joins the bookings mart, at its ref()
    ("models/base/base_payouts.sql", 12, 22, "MD003"),
    # a logic (intermediate) model without the prep_ prefix
    ("models/logic/bookings_by_night.sql", 1, 1, "ST001"),
}
CLEAN_FILES = {"dashboards/booking_value_by_city.sql", "dashboards/channel_mix.sql"}
# Rules that read the manifest's graph and the project's layout: where a project's own
# conventions matter.
LAYERING_FAMILIES = ("MD", "TS", "DC", "ST")
LAYERING_CODES = {"GV001", "GV002", "GV004"}


def _layering(code: str) -> bool:
    return code.startswith(LAYERING_FAMILIES) or code in LAYERING_CODES


def _known(findings: set[tuple]) -> set[tuple]:
    """The expected findings whose rules exist in this version of tally."""
    return {f for f in findings if f[3] in BY_CODE}


@dataclass
class Harbor:
    target: Path

    def tally(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "tally"), "check", "--no-parse", "--project-dir", str(FIXTURE), "--target-path",
             str(self.target), *args],
            capture_output=True, text=True, timeout=120, cwd=FIXTURE, env={**os.environ, "NO_COLOR": "1"},
        )

    def shared(self, **config_overrides):
        """The shared analysis under Harbor's configuration, or a variant of it."""
        config = tally_config.load(FIXTURE)
        for key, value in config_overrides.items():
            setattr(config, key, value)
        artifacts = load_artifacts(FIXTURE, target_path=self.target, parse_if_stale=False)
        return build_shared(artifacts, config), config


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def harbor(tmp_path_factory) -> Harbor:
    root = tmp_path_factory.mktemp("harbor")
    before = _listing(FIXTURE)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(FIXTURE),
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
        "HARBOR_DUCKDB_PATH": str(root / "harbor.duckdb"),
        "DO_NOT_TRACK": "1",
    }
    env.pop("DBT_PROJECT_DIR", None)
    completed = subprocess.run([str(BIN / "dbt"), "build", "--project-dir", str(FIXTURE)], cwd=root, env=env,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, "\n".join((completed.stdout + completed.stderr).splitlines()[-40:])
    assert _listing(FIXTURE) == before, "dbt wrote into the fixture folder"
    return Harbor(root / "target")


@pytest.fixture(scope="module")
def report(harbor) -> dict:
    completed = harbor.tally("--format", "json")
    assert "Traceback" not in completed.stderr and "internal error" not in completed.stderr, completed.stderr
    assert completed.returncode == 1, completed.stdout + completed.stderr
    return json.loads(completed.stdout)


def _found(report: dict) -> set[tuple]:
    return {(f["path"], f["line"], f["col"], f["code"]) for f in report["findings"]}


def test_exactly_the_drifts_and_the_mistakes(report):
    assert _found(report) == _known(DRIFTING_DASHBOARDS | LAYERING_MISTAKES)


def test_every_dashboard_and_board_was_checked(report):
    # 5 .sql dashboards, 3 board queries and Harbor's 9 models
    assert report["summary"]["units_checked"] == 17


def test_drifting_dashboards_are_caught(report):
    found = _found(report)
    dashboards = {f for f in found if not f[0].startswith("models/")}
    assert dashboards == _known(DRIFTING_DASHBOARDS)
    messages = {(f["path"], f["line"]): f["message"] for f in report["findings"]}
    assert "is_cancelled" in messages[("dashboards/weekly_bookings.sql", 5)]
    assert "averages ratios" in messages[("dashboards/cancellations_by_channel.sql", 19)]
    assert "labelled 'Bookings'" in messages[("boards/guest_growth.yml", 14)]
    assert "is_test_guest" in messages[("boards/guest_growth.yml", 6)]


def test_clean_dashboards_are_clean(report):
    """Including value_per_booking (derived) written with FILTER, and the board's booking_value KPI."""
    assert not [f for f in report["findings"] if f["path"] in CLEAN_FILES]
    assert not [f for f in report["findings"] if f["path"] == "boards/guest_growth.yml" and f["line"] in (10, 11, 12)]


def test_layering_follows_the_projects_conventions(report):
    """No naming, folder, structure, testing or documentation finding but the two deliberate mistakes."""
    layering = {f for f in _found(report) if _layering(f[3])}
    assert layering == _known(LAYERING_MISTAKES | {f for f in DRIFTING_DASHBOARDS if _layering(f[3])})


def test_layers_come_from_the_configuration(harbor):
    shared, _config = harbor.shared()
    layers = {node.name: shared.project.layer_of(node) for node in shared.project.models()}
    assert layers == {
        "base_guests": "staging", "base_listings": "staging", "base_bookings": "staging", "base_payouts": "staging",
        "prep_bookings_priced": "intermediate", "prep_calendar_days": "intermediate",
        "bookings_by_night": "intermediate", "bookings": "marts", "guests": "marts",
    }
    assert set(shared.semantic.metrics) == {
        "bookings", "booking_requests", "cancelled_bookings", "booking_value", "cancellation_rate",
        "value_per_booking", "new_guests",
    }
    assert not shared.semantic.errors


def _project_findings(shared, config) -> set[tuple]:
    dashboards, models = collect(shared.project, config)
    result = check(shared, dashboards, models, enabled_rules(config))
    return {(f.location.path, f.location.line, f.location.col, f.code) for f in result.findings}


def test_with_our_conventions_the_mistake_goes_unseen(harbor):
    """tally's defaults (stg_/int_/fct_ in staging/, intermediate/, marts/) know nothing of
    Harbor's layers, so base_payouts reading a mart is not a staging model reading downstream:
    the layering rules really do read [tool.tally.layers]."""
    shared, config = harbor.shared(layers=tally_config.Config(project_dir=FIXTURE).layers)
    found = _project_findings(shared, config)
    assert not {f for f in found if f[3] in ("MD003", "ST001")}


def test_an_exception_needs_its_reason_and_is_honoured(harbor):
    """The generated calendar is a root model (MD005), excepted in Harbor's configuration."""
    if "MD005" not in BY_CODE:
        pytest.skip("MD005 is not in this version of tally")
    shared, config = harbor.shared(exceptions={})
    found = _project_findings(shared, config)
    assert ("models/logic/prep_calendar_days.sql", 1, 1, "MD005") in found
    assert "MD005" not in {f[3] for f in _project_findings(*harbor.shared())}


def test_text_report_names_files_and_lines(harbor):
    completed = harbor.tally("dashboards/weekly_bookings.sql", "dashboards/booking_value_by_city.sql")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "dashboards/weekly_bookings.sql:5:5 MC002" in completed.stdout
    assert "booking_value_by_city" not in completed.stdout
