"""Where the warehouse lives on disk. One module, so every command agrees.

    build/warehouse/
      tally.duckdb -> builds/<id>/tally.duckdb   the one stable path BI tools open (a symlink)
      builds/<id>/tally.duckdb                   published builds, immutable once published
      builds/<id>/build.json                     what each build ran and how its tests went
      private/building/tally.duckdb              a build in progress: nobody reads it
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("TALLY_PROJECT_DIR", Path(__file__).resolve().parents[2]))
BUILD_DIR = ROOT / "build"
WAREHOUSE_DIR = Path(os.environ.get("TALLY_WAREHOUSE_DIR", BUILD_DIR / "warehouse"))
PUBLISHED = WAREHOUSE_DIR / "tally.duckdb"
BUILDS_DIR = WAREHOUSE_DIR / "builds"
PRIVATE_DIR = WAREHOUSE_DIR / "private"
LOCK_FILE = WAREHOUSE_DIR / ".build.lock"
BOARDS_DIR = Path(os.environ.get("TALLY_BOARDS_DIR", BUILD_DIR / "boards"))
BENCH_DIR = BUILD_DIR / "bench"
RAW_DIR = Path(os.environ.get("TALLY_RAW_DIR", ROOT / "data" / "raw"))
CHARTS_DIR = ROOT / "charts"
# dbt's own variable for its target folder, so a build in a test never touches the repo's target/.
TARGET_DIR = Path(os.environ.get("DBT_TARGET_PATH", ROOT / "target"))
