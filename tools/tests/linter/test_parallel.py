"""Worker processes change how fast tally is, never what it finds."""

from __future__ import annotations

from pathlib import Path

from tally.engine import PARALLEL_MIN_UNITS, check, enabled_rules
from tally.inputs.boards import read_board
from tally.inputs.units import SQL_FILE, SqlUnit

ROOT = Path(__file__).resolve().parents[3]
DRIFTING = sorted((ROOT / "tools" / "tests" / "fixtures" / "drifting_boards").glob("*.yml"))


def _units() -> list[SqlUnit]:
    """Enough dashboard queries for the parallel path: the drifting boards, many times over,
    under different names (so cross-query rules see many files), plus clean queries."""
    units: list[SqlUnit] = []
    copy = 0
    while len(units) < PARALLEL_MIN_UNITS + 20:
        for board in DRIFTING:
            for unit in read_board(board, f"copy{copy}/{board.name}"):
                units.append(unit)
        units.append(SqlUnit(SQL_FILE, f"copy{copy}/clean.sql", "clean",
                             "select sum(gross_revenue_usd) as gross_revenue from marts.fct_orders "
                             "where not is_test_account and not is_cancelled"))
        copy += 1
    return units


def _key(finding):
    return (finding.location, finding.code, finding.message)


def test_two_workers_find_exactly_what_one_finds(warehouse_shared, warehouse_config):
    rules = enabled_rules(warehouse_config)
    units = _units()
    models = list(warehouse_shared.model_units.values())
    one = check(warehouse_shared, units, models, rules, workers=1)
    two = check(warehouse_shared, units, models, rules, workers=2)
    assert one.units_checked == two.units_checked >= PARALLEL_MIN_UNITS
    assert [_key(f) for f in one.findings] == [_key(f) for f in two.findings]
    assert {f.code for f in one.findings} >= {"MC001", "MC002", "FO001", "CQ001"}
