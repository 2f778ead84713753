"""How fast the host is right now: one fixed DuckDB workload, timed before and after a scale's steps.

The machine is shared, and the same SQL has taken from 240 to 457 s here on different hours. A
build's figures alone cannot tell a change that made it slower from an hour when the host was
slower. This workload never changes with the project: it generates its own rows and does the
kinds of work the build does (a hash aggregate, a window over partitions, a join). So its time
is a yardstick: divide a step's time by it to compare runs from different hours.

    timed = host_yardstick()   # {"wall_s": 2.9, "cpu_s": 5.8, "runs": 3, ...}: medians of 3 runs
"""

from __future__ import annotations

import statistics

import duckdb

from warehouse.bench.build_measure import measured_block

ROWS = 20_000_000
KEYS = 5_000_000
# The rows are generated into a table first, untimed: DuckDB's range() is read by one thread,
# and the build's scans use both cores.
ROWS_TABLE = """
create table calibration_rows as
select i as id, i % {keys} as key, hash(i) % 1000 as amount
from range({rows}) as t(i)
"""
# Deterministic: its result is checked, so every run does the same work.
WORKLOAD = """
with

per_key as (
    select key, count(*) as n, sum(amount) as total
    from calibration_rows
    group by key
),

ranked as (
    select key, row_number() over (partition by key order by id desc) as version
    from calibration_rows
)

select count(*), sum(per_key.total)
from ranked
inner join per_key on ranked.key = per_key.key
where ranked.version = 1
"""


class CalibrationFailed(RuntimeError):
    """The workload returned something else than it must: its time would not be comparable."""


def _one_run(con: duckdb.DuckDBPyConnection, expected: tuple[int, int]) -> tuple[float, float]:
    """One timed run; `expected`: its key count and the sum of every amount (read untimed)."""
    with measured_block() as timed:
        answer = tuple(con.execute(WORKLOAD).fetchone())
    if answer[0] != expected[0]:
        raise CalibrationFailed(f"the calibration query returned {answer[0]} keys, not {expected[0]}")
    if answer[1] != expected[1]:
        raise CalibrationFailed(f"the calibration query summed {answer[1]}, not {expected[1]}")
    return timed["wall_s"], timed["cpu_s"]


def host_yardstick(runs: int = 3, threads: int = 2, rows: int = ROWS) -> dict:
    """Median wall and CPU seconds of `runs` runs of the fixed workload, in this process. Only
    figures with the same `rows` and `threads` compare."""
    if runs < 1:
        raise ValueError("host_yardstick needs at least one run")
    with duckdb.connect(config={"threads": threads}) as con:
        con.execute("set enable_progress_bar = false")
        con.execute(ROWS_TABLE.format(rows=int(rows), keys=KEYS))
        # Every key joins its own total once, so the answer's sum is the sum of all amounts.
        expected = (min(rows, KEYS), con.execute("select sum(amount) from calibration_rows").fetchone()[0])
        timings = [_one_run(con, expected) for _ in range(runs)]
    return {
        "wall_s": round(statistics.median(w for w, _ in timings), 3),
        "cpu_s": round(statistics.median(c for _, c in timings), 3),
        "runs": runs,
        "threads": threads,
        "rows": rows,
        "every_wall_s": [round(w, 3) for w, _ in timings],
    }
