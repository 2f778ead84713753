"""Every board validates, and renders to PNG from a warehouse opened read-only.

The render runs through `python -m warehouse render-boards`, the command behind `make boards`,
while this test holds its own read-only connection to the warehouse: DuckDB refuses a
read-write open while another process holds the file, so a render that tried to write (or to
open the file for writing) would fail here.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import duckdb

from warehouse import boards, paths

MIN_PNG_BYTES = 50_000  # a blank or error board is far smaller
MIN_PNG_SIDE = 1_000  # px; dct renders boards at 2x


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_dct_env_points_dct_at_the_database_read_only(tmp_path):
    database = tmp_path / "tally.duckdb"
    env = boards.dct_env(database, base={})
    assert env["TALLY_DUCKDB_READ_ONLY"] == "True"
    # dct 0.10.0 prefixes the project directory to the profile's path before rendering it, so
    # the path is passed relative to the project root; joined back, it is the same file
    assert not os.path.isabs(env["TALLY_DUCKDB_PATH"])
    assert Path(os.path.normpath(paths.ROOT / env["TALLY_DUCKDB_PATH"])) == database


def test_every_board_validates():
    assert len(boards.board_files()) >= 3
    boards.validate_boards()


def test_every_board_renders_to_png_read_only(tiny_warehouse, tmp_path):
    out = tmp_path / "boards"
    with duckdb.connect(str(tiny_warehouse.database), read_only=True):  # holds a shared lock throughout
        completed = subprocess.run(
            [sys.executable, "-m", "warehouse", "render-boards", "--database", str(tiny_warehouse.database),
             "--out", str(out)],
            cwd=paths.ROOT, capture_output=True, text=True, timeout=900,
        )
    assert completed.returncode == 0, f"render-boards failed:\n{completed.stdout}\n{completed.stderr}"
    written = [Path(line) for line in completed.stdout.split() if line.endswith(".png")]
    assert sorted(p.stem for p in written) == sorted(b.stem for b in boards.board_files())
    for png in written:
        assert png.exists(), f"{png} was reported but not written"
        assert png.stat().st_size >= MIN_PNG_BYTES, f"{png.name} is only {png.stat().st_size} bytes"
        width, height = png_size(png)
        assert min(width, height) >= MIN_PNG_SIDE, f"{png.name} is {width}x{height} px"


def test_render_boards_says_what_is_missing(tmp_path):
    missing = tmp_path / "nowhere" / "tally.duckdb"
    completed = subprocess.run(
        [sys.executable, "-m", "warehouse", "render-boards", "--database", str(missing), "--out", str(tmp_path)],
        cwd=paths.ROOT, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 1
    assert "no warehouse at" in completed.stderr and "make build" in completed.stderr
