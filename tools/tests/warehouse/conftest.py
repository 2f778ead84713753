"""Fixtures of the metric tests: the hand-made fixture warehouse, MetricFlow on both warehouses,
and the one way their answers are compared with expected values.

`fixture_warehouse` is built like `tiny_warehouse` (tools/tests/conftest.py): a temporary folder
with its own DuckDB file named tally.duckdb, dbt target path and logs. Its raw data is the CSV
fixture in tools/tests/fixtures/metric_fixture/, delivered as Parquet by fixture_data.py.
"""

from __future__ import annotations

import json
import math
import sys
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import pytest

from warehouse.metrics import MetricRunner

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # fixture_data sits beside this file; the tests are not a package
    sys.path.insert(0, str(HERE))

import fixture_data  # noqa: E402

# Relative tolerance for ratios (DOUBLE in MetricFlow's SQL); money and counts compare exactly.
RATIO_TOLERANCE = 1e-9


def _shared_conftest(config: pytest.Config):
    """tools/tests/conftest.py, for BuiltWarehouse and dbt_env. Under pytest's importlib mode a
    conftest is not importable by name, but pytest registers it as a plugin under its path."""
    wanted = (HERE.parent / "conftest.py").resolve()
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", None) or "").resolve() == wanted:
            return plugin
    raise RuntimeError(f"{wanted} is not loaded")


class Metrics(MetricRunner):
    """MetricRunner plus each metric's type (simple, ratio, derived, cumulative, conversion)."""

    @cached_property
    def _types(self) -> dict[str, str]:
        manifest = json.loads(self.semantic_manifest.read_text())
        return {m["name"]: m["type"] for m in manifest["metrics"]}

    def metric_type(self, metric: str) -> str:
        return self._types[metric]

    def zero_when_missing(self, metric: str) -> bool:
        """MetricFlow leaves out a period where a simple or derived metric has no rows at all."""
        return self.metric_type(metric) in ("simple", "derived")


# --- warehouses ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fixture_raw(tmp_path_factory) -> Path:
    """The metric fixture as raw Parquet, in the lake layout dbt reads through TALLY_RAW_DIR."""
    return fixture_data.write_raw(tmp_path_factory.mktemp("fixture_raw") / "raw")


@pytest.fixture(scope="session")
def fixture_warehouse(tmp_path_factory, fixture_raw, pytestconfig):
    """The whole project built and tested (`dbt build`) on the hand-made metric fixture."""
    shared = _shared_conftest(pytestconfig)
    root = tmp_path_factory.mktemp("fixture_warehouse")
    database = root / "tally.duckdb"
    env = shared.dbt_env(fixture_raw, database, root / "target", root / "logs")
    warehouse = shared.BuiltWarehouse(root, fixture_raw, database, root / "target", env)
    warehouse.dbt("build")
    return warehouse


@pytest.fixture(scope="session")
def fixture_metrics(fixture_warehouse):
    """MetricFlow's answers on the fixture warehouse."""
    with Metrics(fixture_warehouse.target_dir / "semantic_manifest.json", fixture_warehouse.database) as runner:
        yield runner


@pytest.fixture(scope="session")
def tiny_metrics(tiny_warehouse):
    """MetricFlow's answers on the generated tiny warehouse."""
    with Metrics(tiny_warehouse.target_dir / "semantic_manifest.json", tiny_warehouse.database) as runner:
        yield runner


# --- comparing MetricFlow's answers ------------------------------------------------------------


def metric_differences(actual: dict, expected: dict, *, zero_when_missing: bool) -> list[str]:
    """One line per period where MetricFlow's answer differs from the expected one.

    Money is compared to the cent as Decimal, counts exactly, ratios to RATIO_TOLERANCE; None
    (MetricFlow's NULL) only equals None. With `zero_when_missing` a period without a row reads
    as 0 on both sides; otherwise both sides must list exactly the same periods.
    """
    missing = 0 if zero_when_missing else "<no row>"
    differences = []
    for period in sorted(set(actual) | set(expected), key=str):
        got, want = actual.get(period, missing), expected.get(period, missing)
        if not _same(got, want):
            differences.append(f"{period}: MetricFlow {got!r}, expected {want!r}")
    return differences


def _same(got, want) -> bool:
    if got is None or want is None or isinstance(got, str) or isinstance(want, str):
        return got == want
    if isinstance(got, float) or isinstance(want, float):
        return math.isclose(float(got), float(want), rel_tol=RATIO_TOLERANCE, abs_tol=1e-12)
    return Decimal(got) == Decimal(want)


@pytest.fixture(scope="session")
def assert_metric():
    """assert_metric(runner, metric, grain, actual, expected): fails with every differing period."""

    def check(runner: Metrics, metric: str, grain: str, actual: dict, expected: dict, limit: int = 15) -> None:
        differences = metric_differences(actual, expected, zero_when_missing=runner.zero_when_missing(metric))
        shown = "\n  ".join(differences[:limit])
        more = f"\n  ... and {len(differences) - limit} more" if len(differences) > limit else ""
        assert not differences, f"{metric} by {grain}: {len(differences)} period(s) differ\n  {shown}{more}"

    return check
