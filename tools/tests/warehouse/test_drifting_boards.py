"""Deliberately drifting boards: tally catches every one, and every one shows a wrong number.

tools/tests/fixtures/drifting_boards/ holds one board per trap the issue names (a different
aggregation; a dropped, added or changed filter; another measure expression; another time
dimension; a semi-additive measure summed over time; a ratio as an average of ratios or from
the wrong numerator; rows counted for distinct entities; a conversion metric by hand) plus a
fan-out. Each file's header names the finding tally must report and the metric it drifts from.
Running its query on the hand-made metric fixture shows its number differs from MetricFlow's:
the drift is not a style point, it changes what the board says.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from tally import config as tally_config
from tally.engine import build_shared, check, enabled_rules
from tally.inputs.artifacts import load_artifacts
from tally.inputs.boards import read_board

ROOT = Path(__file__).resolve().parents[3]
DRIFTING = ROOT / "tools" / "tests" / "fixtures" / "drifting_boards"
BOARDS = sorted(DRIFTING.glob("*.yml"))
HEADER = re.compile(r"tally must report (\w+); on the metric fixture its `(\w+)` differs")
TRAPS = {f"MC00{i}" for i in range(1, 10)} | {"MC010", "FO001"}


def expectation(board: Path) -> tuple[str, str]:
    found = HEADER.search(board.read_text())
    assert found, f"{board.name} must say which finding tally reports and which metric it drifts from"
    return found.group(1), found.group(2)


def test_there_is_a_drifting_board_for_every_trap():
    assert {expectation(board)[0] for board in BOARDS} == TRAPS


@pytest.fixture(scope="module")
def fixture_shared(fixture_warehouse):
    artifacts = load_artifacts(ROOT, target_path=fixture_warehouse.target_dir, parse_if_stale=False)
    config = tally_config.load(ROOT)
    return build_shared(artifacts, config), enabled_rules(config)


@pytest.mark.parametrize("board", BOARDS, ids=[b.stem for b in BOARDS])
def test_tally_catches_the_drift(board, fixture_shared):
    shared, rules = fixture_shared
    code, metric = expectation(board)
    result = check(shared, read_board(board, board.name), [], rules, run_project_rules=False)
    codes = {f.code for f in result.findings}
    assert code in codes, f"{board.name}: expected {code}, tally said {sorted(codes)}"
    finding = next(f for f in result.findings if f.code == code)
    if code.startswith("MC"):
        assert finding.details["metric"] == metric
        assert "mf query --metrics" in finding.message


@pytest.mark.parametrize("board", BOARDS, ids=[b.stem for b in BOARDS])
def test_the_drift_changes_the_number(board, fixture_warehouse, fixture_metrics):
    _, metric = expectation(board)
    document = yaml.safe_load(board.read_text())
    sql = document["queries"]["drift"]
    with duckdb.connect(str(fixture_warehouse.database), read_only=True) as connection:
        cursor = connection.execute(sql)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    grain = columns[0]
    board_values = {_day(row[0]): row[columns.index(metric)] for row in rows}
    canonical = fixture_metrics.values(metric, grain)
    periods = set(board_values) | set(canonical)
    differing = [p for p in sorted(periods) if not _same(board_values.get(p), canonical.get(p))]
    assert differing, f"{board.name}: every period agrees with MetricFlow, so this board does not drift"


def _day(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _same(a, b) -> bool:
    if a is None or b is None:
        return (a or 0) == (b or 0)
    return abs(Decimal(str(a)) - Decimal(str(b))) < Decimal("0.005")
