"""Shared fixtures: small generated data sets, built once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TOOLS = HERE.parents[1]
for path in (TOOLS, HERE):  # the package is importable without being pip-installed
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from datagen.defects import DefectConfig  # noqa: E402
from dg_helpers import quiet_generate  # noqa: E402


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Path:
    """Scale 0.001: what the rest of the project's tests use."""
    out = tmp_path_factory.mktemp("tiny")
    quiet_generate(out, 0.001)
    return out


@pytest.fixture(scope="session")
def medium(tmp_path_factory) -> Path:
    """Scale 0.02 (20k orders): large enough to check rates, still ~1 s."""
    out = tmp_path_factory.mktemp("medium")
    quiet_generate(out, 0.02, seed=11)
    return out


@pytest.fixture(scope="session")
def defective(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("defective")
    quiet_generate(out, 0.01, seed=5, defects=DefectConfig.parse("all", 0.01))
    return out
