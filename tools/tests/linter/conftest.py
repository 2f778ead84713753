"""Linter fixtures: the project's real artifacts, analysed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tally import config as tally_config
from tally.engine import build_shared
from tally.inputs.artifacts import load_artifacts

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def warehouse_artifacts(tiny_warehouse):
    return load_artifacts(ROOT, target_path=tiny_warehouse.target_dir, parse_if_stale=False)


@pytest.fixture(scope="session")
def warehouse_config():
    return tally_config.load(ROOT)


@pytest.fixture(scope="session")
def warehouse_shared(warehouse_artifacts, warehouse_config):
    """The shared analysis of Tally's own project (models, lineage, semantic layer)."""
    return build_shared(warehouse_artifacts, warehouse_config)

# synthetic.py builds manifests for manifest-only rule fixtures; make it importable by name.
import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
