"""The host yardstick of the warehouse benchmark: a fixed DuckDB workload whose result is checked,
so that its time measures the host and nothing else."""

from __future__ import annotations

import pytest

from warehouse.bench import build_calibrate
from warehouse.bench.build_calibrate import CalibrationFailed, host_yardstick


def test_reports_the_median_of_its_runs():
    timed = host_yardstick(runs=3, rows=200_000)
    assert timed["runs"] == 3 and timed["rows"] == 200_000 and timed["threads"] == 2
    assert len(timed["every_wall_s"]) == 3 and timed["wall_s"] == sorted(timed["every_wall_s"])[1]
    assert timed["cpu_s"] > 0


def test_a_wrong_answer_fails_rather_than_being_timed(monkeypatch):
    monkeypatch.setattr(build_calibrate, "WORKLOAD", build_calibrate.WORKLOAD.replace("version = 1", "version = 2"))
    with pytest.raises(CalibrationFailed, match="returned 0 keys, not 200000"):
        host_yardstick(runs=1, rows=200_000)


def test_needs_a_run():
    with pytest.raises(ValueError):
        host_yardstick(runs=0)


def test_a_wrong_total_fails_too(monkeypatch):
    monkeypatch.setattr(build_calibrate, "WORKLOAD", build_calibrate.WORKLOAD.replace("sum(per_key.total)", "sum(per_key.n)"))
    with pytest.raises(CalibrationFailed, match="summed 200000, not"):
        host_yardstick(runs=1, rows=200_000)
