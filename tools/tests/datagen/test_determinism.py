"""Same seed and scale -> same data; chunking and worker count never change the rows."""

from __future__ import annotations

import glob
import hashlib
import os

import pyarrow as pa
import pyarrow.parquet as pq
from dg_helpers import quiet_generate

from datagen.schema import TABLES


def _digests(root) -> dict[str, str]:
    out = {}
    for path in sorted(glob.glob(f"{root}/**/*", recursive=True)):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


def _table(root, t) -> pa.Table:
    files = sorted(glob.glob(f"{root}/{t.source}/{t.name}/*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files if "drift" not in f])


def test_same_seed_gives_byte_identical_files(tiny, tmp_path):
    quiet_generate(tmp_path / "again", 0.001, seed=42)
    assert _digests(tiny) == _digests(tmp_path / "again")


def test_different_seed_gives_different_data(tiny, tmp_path):
    quiet_generate(tmp_path / "other", 0.001, seed=43)
    for name in ("shop.customers", "shop.orders", "payments.payments", "web.events"):
        t = TABLES[name]
        assert not _table(tiny, t).equals(_table(tmp_path / "other", t)), name


def test_rows_do_not_depend_on_files_or_workers(tmp_path):
    # 0.04 -> 40,000 orders = 3 blocks of 16,384: one file per block, single process, versus
    # all blocks in one file written by two worker processes.
    a = quiet_generate(tmp_path / "a", 0.04, seed=9, workers=1, blocks_per_file=1)
    b = quiet_generate(tmp_path / "b", 0.04, seed=9, workers=2, blocks_per_file=8)
    assert len(a["tables"]["shop.orders"]["files"]) == 3
    assert len(b["tables"]["shop.orders"]["files"]) == 1
    for t in TABLES.values():
        assert _table(tmp_path / "a", t).equals(_table(tmp_path / "b", t)), t.qualified
    assert a["mess"] == b["mess"]
