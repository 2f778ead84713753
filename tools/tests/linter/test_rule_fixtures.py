"""The one test that runs every rule's fixture file.

Each `fixtures/rules/<CODE>.yml` holds failing and passing cases for one rule, with the
findings expected (code, line, column). A case is one of:

    sql: |            a query checked against Tally's own project (as a plain .sql file)
    files: {a.sql: ..} several .sql files checked together (for cross-query rules)
    model: |          SQL checked as if it were one of the project's models
    board: |          a dbt-charts board checked against Tally's own project
    project: {...}    a synthetic dbt project (see synthetic.py), for manifest-only rules

Only findings of the fixture's own rule are compared, so a case needs to list nothing else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tally import engine
from tally.engine import build_shared, check
from tally.inputs.artifacts import Artifacts
from tally.inputs.boards import read_board
from tally.inputs.units import MODEL, SQL_FILE, SqlUnit
from tally.rules.base import Needs, Scope
from tally.rules.registry import BY_CODE
from tally import config as tally_config

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


def _cases():
    for path in sorted(FIXTURES.glob("*.yml")):
        spec = yaml.safe_load(path.read_text())
        for index, case in enumerate(spec.get("cases", [])):
            yield pytest.param(spec["rule"], case, id=f"{path.stem}-{index}-{case.get('name', '')[:40]}")


def _found(result, code: str) -> list[dict]:
    return sorted(
        ({"code": f.code, "line": f.location.line, "col": f.location.col} for f in result.findings if f.code == code),
        key=lambda f: (f["line"], f["col"]),
    )


def _expected(case: dict) -> list[dict]:
    return sorted(case.get("expect") or [], key=lambda f: (f["line"], f["col"]))


def test_every_rule_has_a_fixture_file():
    missing = [code for code in BY_CODE if not (FIXTURES / f"{code}.yml").exists()]
    assert not missing, f"rules without a fixture file: {missing}"


def test_every_fixture_has_failing_and_passing_cases():
    for path in FIXTURES.glob("*.yml"):
        cases = yaml.safe_load(path.read_text())["cases"]
        assert any(c.get("expect") for c in cases), f"{path.name} has no failing case"
        assert any(not c.get("expect") for c in cases), f"{path.name} has no passing case"


@pytest.mark.parametrize("code, case", list(_cases()))
def test_rule_case(code, case, request, tmp_path, monkeypatch):
    rule = BY_CODE[code]()
    if "project" in case:
        from synthetic import manifest_from_spec  # tools/tests/linter/synthetic.py

        manifest, semantic_manifest = manifest_from_spec(case["project"])
        config = tally_config.from_dict(case.get("config", {}), tmp_path)
        shared = build_shared(Artifacts(tmp_path, manifest, semantic_manifest, None, tmp_path / "manifest.json"), config)
        dashboards = []
        for index, sql in enumerate(case.get("dashboards", [])):
            dashboards.append(SqlUnit(SQL_FILE, f"dashboard_{index}.sql", f"dashboard_{index}", sql))
        models = list(shared.model_units.values())
        result = check(shared, dashboards, models, [rule])
        _assert_same_in_side_worker(rule, Artifacts(tmp_path, manifest, semantic_manifest, None,
                                                    tmp_path / "manifest.json"), config, dashboards, result,
                                    monkeypatch)
    else:
        shared = request.getfixturevalue("warehouse_shared")
        models = []
        if "board" in case:
            board = tmp_path / "board.yml"
            board.write_text(case["board"])
            units = read_board(board, "board.yml")
        elif "files" in case:
            units = [SqlUnit(SQL_FILE, name, name.rsplit(".", 1)[0], sql) for name, sql in case["files"].items()]
        elif "model" in case:
            units = []
            models = [SqlUnit(MODEL, "models/case.sql", "case", case["model"], portable_sql=case["model"])]
        else:
            units = [SqlUnit(SQL_FILE, "case.sql", "case", case["sql"])]
        result = check(shared, units, models, [rule], run_project_rules=False)
    assert _found(result, code) == _expected(case), "\n".join(f"{f.location} {f.code} {f.message}" for f in result.findings)


def _assert_same_in_side_worker(rule, artifacts, config, dashboards, result, monkeypatch) -> None:
    """A project rule that needs no qualified model runs early in build_shared's side worker
    when tally forks; it must find there exactly what it finds on the full analysis."""
    if rule.scope is not Scope.PROJECT or rule.needs is Needs.ANALYSIS:
        return
    monkeypatch.setattr(engine, "PARALLEL_MIN_UNITS", 1)  # fork even for a fixture's few models
    shared = build_shared(artifacts, config, workers=2, rules=[rule])
    if not shared.model_units:
        return  # nothing to fork for: build_shared stays in one process
    assert (rule.code, rule.severity.value) in shared.early_findings, "the side worker did not run the rule"
    early = check(shared, dashboards, list(shared.model_units.values()), [rule])
    assert [(f.location, f.code, f.message) for f in early.findings] == \
        [(f.location, f.code, f.message) for f in result.findings]
