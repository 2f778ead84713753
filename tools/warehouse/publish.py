"""Write-audit-publish for a DuckDB file.

DuckDB lets one process write a database file, and a reader holding the file open blocks a
writer in another process. So a build never writes the file readers use: it writes a private
file, and publishing is an atomic rename of a symlink. Readers that opened the old build keep
reading it (its inode lives until they close it); readers that open the stable path afterwards
see the new build. Nothing is ever written into a published file.

DuckDB names a database's catalog after its file name, and the views dbt creates refer to that
catalog, so every build's file is called tally.duckdb, in a folder of its own.

>>> new_build_id("20261121T050102Z")[:17]
'20261121T050102Z-'
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from warehouse import paths

KEEP_BUILDS = 3
DATABASE_NAME = "tally.duckdb"
PRIVATE_FOLDER = "building"  # under private/, while a build runs


class BuildLockedError(RuntimeError):
    """Another build holds the build lock."""


def new_build_id(now: str | None = None) -> str:
    """A sortable, unique build id: UTC timestamp plus a random suffix."""
    stamp = now or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class Build:
    build_id: str
    database: Path
    record: dict

    @property
    def built_at(self) -> str:
        return self.record.get("finished_at", "")


class Warehouse:
    """The published warehouse and its build history, under one directory."""

    def __init__(self, root: Path = paths.WAREHOUSE_DIR, keep: int = KEEP_BUILDS) -> None:
        self.root = root
        self.published = root / paths.PUBLISHED.name
        self.builds_dir = root / "builds"
        self.private_dir = root / "private"
        self.keep = keep

    # --- reading ---------------------------------------------------------------------------

    def published_build_id(self) -> str | None:
        try:
            target = os.readlink(self.published)
        except (FileNotFoundError, OSError):
            return None
        return Path(target).parent.name

    def builds(self) -> list[Build]:
        """Published builds, oldest first."""
        found = []
        for database in sorted(self.builds_dir.glob(f"*/{DATABASE_NAME}")):
            record_path = database.parent / "build.json"
            record = json.loads(record_path.read_text()) if record_path.exists() else {}
            found.append(Build(database.parent.name, database, record))
        return found

    def current(self) -> Build | None:
        build_id = self.published_build_id()
        return next((b for b in self.builds() if b.build_id == build_id), None)

    # --- building --------------------------------------------------------------------------

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """One build at a time. flock is released by the kernel if the build is killed, so a
        SIGKILLed build never leaves a lock behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / paths.LOCK_FILE.name, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise BuildLockedError(f"another build is running ({holder})") from exc
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def start_private(self, from_published: bool) -> Path:
        """Create the private database for a build, as a copy of the published one when the
        build is incremental. Call under the build lock: any other private file is a leftover
        of a killed or failed build and is removed."""
        if self.private_dir.exists():
            shutil.rmtree(self.private_dir)
        # The same path for every build (publish renames its folder to the build id): dbt's
        # partial parsing starts over when the database path in the profile changes (4.5 s of
        # a 60 s incremental build at scale 10).
        (self.private_dir / PRIVATE_FOLDER).mkdir(parents=True)
        private = self.private_dir / PRIVATE_FOLDER / DATABASE_NAME
        current = self.current()
        if from_published and current is not None:
            _copy_file(current.database, private)
        return private

    def publish(self, build_id: str, private: Path, record: dict) -> Build:
        """Move a finished private build into place and switch the stable path to it."""
        wal = private.with_name(private.name + ".wal")
        if wal.exists():  # a cleanly closed DuckDB leaves none; never publish half a database
            raise RuntimeError(f"{wal} exists: the build did not checkpoint before publishing")
        self.builds_dir.mkdir(parents=True, exist_ok=True)
        record = {**record, "published_at": _utc_now()}
        _write_record(private.parent, record)
        folder = self.builds_dir / build_id
        os.replace(private.parent, folder)
        database = folder / DATABASE_NAME
        self._point_to(database)
        self.prune()
        return Build(build_id, database, record)

    def discard_private(self, private: Path) -> None:
        shutil.rmtree(private.parent, ignore_errors=True)

    def rollback(self) -> Build:
        """Publish the build before the current one again, and mark the current one rolled back
        (`rolled_back_at` in its build.json). A build someone rolled away from is never rolled
        back to: after a rollback and a new build, the next rollback returns to the build that
        was served before the new one, not to the one rolled away from."""
        builds = self.builds()
        current_id = self.published_build_id()
        ids = [b.build_id for b in builds]
        earlier = [b for b in builds[: ids.index(current_id)] if not _rolled_back(b)] if current_id in ids else []
        if not earlier:
            raise RuntimeError("there is no earlier published build to roll back to")
        previous = earlier[-1]
        self._point_to(previous.database)
        left = builds[ids.index(current_id)]
        _write_record(left.database.parent, {**left.record, "rolled_back_at": _utc_now()})
        return previous

    def prune(self) -> None:
        """Keep `keep` builds: the published one, then the newest that were not rolled back from,
        then, if there is room left, the newest that were (a build rolled away from goes first, so
        the last good builds stay for rollback)."""
        builds = self.builds()
        current_id = self.published_build_id()
        kept = {current_id} if current_id else set()
        newest_first = sorted(reversed(builds), key=_rolled_back)  # stable: good builds, then rolled back
        for build in newest_first:
            if len(kept) >= self.keep:
                break
            kept.add(build.build_id)
        for build in builds:
            if build.build_id not in kept:
                shutil.rmtree(build.database.parent, ignore_errors=True)

    def _point_to(self, database: Path) -> None:
        link_tmp = self.root / f".{self.published.name}.{os.getpid()}.tmp"
        link_tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(database, self.root), link_tmp)
        os.replace(link_tmp, self.published)  # rename(2) is atomic: readers see old or new
        _fsync_dir(self.root)


def _rolled_back(build: Build) -> bool:
    return bool(build.record.get("rolled_back_at"))


def _write_record(folder: Path, record: dict) -> None:
    """A build's build.json, replaced atomically (readers of status never see half of it)."""
    temporary = folder / ".build.json.tmp"
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True))
    os.replace(temporary, folder / "build.json")


def _copy_file(source: Path, dest: Path) -> None:
    """Copy a database file, as a reflink where the filesystem supports it."""
    try:
        with open(source, "rb") as src, open(dest, "wb") as dst:
            size = os.fstat(src.fileno()).st_size
            copied = 0
            while copied < size:
                sent = os.copy_file_range(src.fileno(), dst.fileno(), size - copied)
                if sent == 0:
                    break
                copied += sent
        if copied == size:
            return
    except OSError:
        pass
    shutil.copyfile(source, dest)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def age_of(timestamp: str) -> str:
    """Human age of an ISO timestamp, e.g. '3 min'."""
    try:
        then = datetime.fromisoformat(timestamp)
    except ValueError:
        return "unknown"
    seconds = max(0, int(time.time() - then.timestamp()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
