"""The numbers: base and head built on DuckDB, every impacted metric and changed mart compared.

Builds (strategy "clone", the default): the base is built in full once per base commit and
scale and cached; head starts as a copy of the base DuckDB file (a reflink where the file
system has them) and `dbt build --select state:modified+ --state <base> --full-refresh` rebuilds
only the changed models and their descendants. Everything else in the copy is the base's own
relation, which is what an unchanged model with unchanged parents would rebuild to. (`--defer`
would need the base's relations reachable from head's connection; both files are catalog
`tally`, so the copy is the simpler way to reuse them.) Strategy "parallel" builds head in full
beside the base instead; `tools/warehouse/bench/review.py` measures both.

Metrics are MetricFlow's own answers (warehouse.metrics.MetricRunner: the SQL of `mf query`,
run in-process on each file); marts are compared row by row on their primary key.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tally.review.settings import ReviewSettings
from tally.review.workspace import ReviewError, Side, Workspace, executable, locked

SKIP_TESTS = ("--exclude-resource-type", "test", "unit_test")
FAILED = ("error", "fail", "runtime error")
BREAKDOWN_LIMIT = 200_000  # changed rows whose columns are compared one by one
EXAMPLES = 3


# --- builds ----------------------------------------------------------------------------------------


@dataclass
class BuildOutcome:
    side: str
    ok: bool
    seconds: float = 0.0
    cached: bool = False
    built: int = 0  # models, seeds and snapshots dbt ran
    failures: list[dict] = field(default_factory=list)  # {node, status, message}
    note: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def ensure_raw(settings: ReviewSettings) -> float:
    """Run the project's `prepare` hook once per scale; later reviews reuse its output."""
    raw = settings.raw_path
    if raw is None or not settings.prepare:
        return 0.0
    if raw.exists() and any(raw.iterdir()):
        return 0.0
    started = time.perf_counter()
    with locked(settings.work_path / f"{raw.name}.lock"):
        if raw.exists() and any(raw.iterdir()):
            return 0.0
        partial = raw.with_name(raw.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        uses_dir = "{raw_dir}" in settings.prepare
        command = shlex.split(settings.expand(settings.prepare, raw_dir=str(partial if uses_dir else raw)))
        if command and "/" not in command[0]:
            command[0] = executable(command[0])
        completed = subprocess.run(command, cwd=settings.project_dir, capture_output=True, text=True)
        if completed.returncode != 0:
            tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-10:])
            raise ReviewError(f"[tool.tally.review] prepare failed ({' '.join(command)}):\n{tail}")
        if uses_dir:
            raw.parent.mkdir(parents=True, exist_ok=True)
            partial.rename(raw)
    return time.perf_counter() - started


def build_base(ws: Workspace) -> BuildOutcome:
    """The base in full, once per base commit and scale (later reviews reuse it)."""
    if not ws.base_is_git:
        if ws.base.database.exists():
            return BuildOutcome("base", True, cached=True, note=f"the warehouse of --base-state: {ws.base.database}")
        return BuildOutcome("base", False, note=f"no base warehouse at {ws.base.database}: pass --base-database, "
                                                 f"or review against a git ref with --base")
    marker = ws.cache_dir / "built.json"
    with locked(ws.settings.work_path / f"{ws.cache_dir.name}.lock"):
        if marker.exists() and ws.base.database.exists():
            recorded = json.loads(marker.read_text())
            return BuildOutcome("base", recorded["ok"], cached=True, built=recorded.get("built", 0),
                                failures=recorded.get("failures", []), note=recorded.get("note", ""))
        _remove_database(ws.base.database)
        outcome = _dbt_build(ws.base, ["build", *SKIP_TESTS])
        marker.write_text(json.dumps(outcome.to_dict()))
        return outcome


def build_head(ws: Workspace, base: BuildOutcome | None) -> BuildOutcome:
    """Head: a copy of the base warehouse with the changed models and their descendants rebuilt,
    or (strategy "parallel", or no base warehouse to copy) a build of its own in full."""
    _remove_database(ws.head.database)
    ws.head.database.parent.mkdir(parents=True, exist_ok=True)
    if ws.settings.strategy == "clone" and base is not None and base.ok and ws.base.database.exists():
        started = time.perf_counter()
        clone(ws.base.database, ws.head.database)
        copied = time.perf_counter() - started
        outcome = _dbt_build(ws.head, ["build", "--select", "state:modified+", "--state", str(ws.state_dir),
                                       "--full-refresh", *SKIP_TESTS])
        outcome.note = f"copy of the base warehouse ({copied:.1f}s), changed models and descendants rebuilt"
        outcome.seconds += copied
        return outcome
    outcome = _dbt_build(ws.head, ["build", *SKIP_TESTS])
    outcome.note = "built in full"
    return outcome


def clone(source: Path, dest: Path) -> None:
    """Copy a DuckDB file, as a reflink (copy on write) where the file system allows."""
    completed = subprocess.run(["cp", "--reflink=auto", str(source), str(dest)], capture_output=True)
    if completed.returncode != 0:
        shutil.copyfile(source, dest)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, dest.with_name(dest.name + ".wal"))


def _remove_database(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            candidate.unlink()


def _dbt_build(side: Side, args: list[str]) -> BuildOutcome:
    results_path = side.target_dir / "run_results.json"
    if results_path.exists():
        results_path.unlink()
    run = side.dbt(*args)
    outcome = BuildOutcome(side.name, run.ok, run.seconds)
    try:
        results = json.loads(results_path.read_text())["results"]
    except (OSError, ValueError, KeyError):
        results = []
    for result in results:
        unique_id = result.get("unique_id", "")
        if unique_id.split(".")[0] in ("model", "seed", "snapshot") and result.get("status") not in ("skipped",):
            outcome.built += 1
        if result.get("status") in FAILED:
            outcome.failures.append({
                "node": ".".join(unique_id.split(".")[2:]) or unique_id,
                "unique_id": unique_id,
                "status": result.get("status"),
                "message": _message(result.get("message") or ""),
            })
    if not run.ok and not outcome.failures:
        outcome.failures.append({"node": "(dbt)", "unique_id": "", "status": "error", "message": run.error})
    skipped = sum(1 for r in results if r.get("status") == "skipped")
    if skipped:
        outcome.note = f"{skipped} node(s) skipped after a failure"
    return outcome


def _message(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[:6])


# --- metrics -------------------------------------------------------------------------------------


@dataclass
class MetricDiff:
    name: str
    label: str
    type: str
    rows: list[dict] = field(default_factory=list)  # period, base, head, change, change_pct
    error: str | None = None

    @property
    def moved_rows(self) -> list[dict]:
        return [r for r in self.rows if r["base"] != r["head"]]

    @property
    def moved(self) -> bool:
        return bool(self.moved_rows)

    @property
    def largest(self) -> dict | None:
        """The period that moved most: by % where it has one, else by absolute change."""
        rows = self.moved_rows
        if not rows:
            return None
        # a period with no % change (it was 0 or absent in base) counts as the largest move
        return max(rows, key=lambda r: (abs(r["change_pct"]) if r["change_pct"] is not None else float("inf"),
                                        abs(r["change"] or 0)))

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "type": self.type, "moved": self.moved,
                "months_moved": len(self.moved_rows), "periods": len(self.rows), "error": self.error,
                "rows": [_json_row(r) for r in self.rows]}


def metric_diffs(ws: Workspace, names: list[str], labels: dict[str, tuple[str, str]]) -> list[MetricDiff]:
    """Each metric at the review's grain on both warehouses, as MetricFlow computes it."""
    from warehouse.metrics import MetricError, MetricRunner, as_number

    grain = ws.settings.grain
    diffs = []
    base_runner = MetricRunner(ws.state_dir / "semantic_manifest.json", ws.base.database)
    head_runner = MetricRunner(ws.head.target_dir / "semantic_manifest.json", ws.head.database)
    try:
        base_names, head_names = set(base_runner.metric_names()), set(head_runner.metric_names())
        for name in names:
            label, kind = labels.get(name, (name, ""))
            diff = MetricDiff(name, label, kind)
            values = []
            for runner, present in ((base_runner, name in base_names), (head_runner, name in head_names)):
                if not present:
                    values.append({})
                    continue
                try:
                    values.append(runner.values(name, grain))
                except MetricError as exc:
                    diff.error = str(exc)
                    values.append({})
                except Exception as exc:  # duckdb errors: the metric's SQL did not run on this side
                    diff.error = f"{runner is base_runner and 'base' or 'head'}: {type(exc).__name__}: {exc}"
                    values.append({})
            before, after = values
            for period in sorted(set(before) | set(after), key=lambda p: (p is None, str(p))):
                diff.rows.append(_row(period, as_number(before.get(period)), as_number(after.get(period))))
            diffs.append(diff)
    finally:
        base_runner.close()
        head_runner.close()
    diffs.sort(key=lambda d: (not d.moved, -_size(d.largest), d.name))
    return diffs


def _size(row: dict | None) -> float:
    if row is None:
        return 0.0
    return abs(row["change_pct"]) if row["change_pct"] is not None else float("inf")


def _row(period, base: Decimal | None, head: Decimal | None) -> dict:
    change = head - base if base is not None and head is not None else None
    pct = None
    if change is not None and base != 0:
        pct = float(round(change / abs(base) * 100, 2))
    return {"period": str(period) if period is not None else None, "base": base, "head": head,
            "change": change, "change_pct": pct}


def _json_row(row: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}


# --- marts -----------------------------------------------------------------------------------------


@dataclass
class MartDiff:
    model: str
    base_relation: str | None
    head_relation: str | None
    key: list[str] = field(default_factory=list)
    base_rows: int | None = None
    head_rows: int | None = None
    added: int | None = None
    removed: int | None = None
    changed: int | None = None
    changed_columns: dict[str, int] = field(default_factory=dict)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    examples: list[dict] = field(default_factory=list)
    note: str = ""

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.base_rows != self.head_rows
                     or self.columns_added or self.columns_removed)

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "differs": self.differs}


def mart_diff(model: str, base_db: Path, head_db: Path, base_relation: str | None, head_relation: str | None,
              key: list[str], ignore_columns: list[str] = ()) -> MartDiff:
    """Row counts, and rows added, removed and changed on the key (columns compared as text,
    except `ignore_columns`)."""
    import duckdb

    diff = MartDiff(model, base_relation, head_relation, list(key))
    connections = {}
    try:
        if base_relation:
            connections["base"] = duckdb.connect(str(base_db), read_only=True)
        if head_relation:
            connections["head"] = duckdb.connect(str(head_db), read_only=True)
        columns = {}
        for side, connection in connections.items():
            relation = base_relation if side == "base" else head_relation
            try:
                columns[side] = [c.lower() for c in connection.sql(f"select * from {relation} limit 0").columns]
                count = connection.sql(f"select count(*) from {relation}").fetchall()[0][0]
            except duckdb.Error as exc:
                diff.note = f"{side}: {relation} cannot be read ({str(exc).splitlines()[0]})"
                return diff
            setattr(diff, f"{side}_rows", count)
        if len(connections) < 2:
            diff.note = "only in head (a new mart)" if "head" in connections else "only in base (removed)"
            return diff
        diff.columns_added = [c for c in columns["head"] if c not in columns["base"]]
        diff.columns_removed = [c for c in columns["base"] if c not in columns["head"]]
        if not key or any(k not in columns["base"] or k not in columns["head"] for k in key):
            diff.note = "no primary key on both sides: row counts only"
            return diff
        common = [c for c in columns["head"] if c in columns["base"] and c not in key and c not in ignore_columns]
        _key_diff(diff, connections, base_relation, head_relation, key, common)
    finally:
        for connection in connections.values():
            connection.close()
    return diff


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _key_diff(diff: MartDiff, connections: dict, base_relation: str, head_relation: str,
              key: list[str], common: list[str]) -> None:
    import duckdb

    keys = ", ".join(_quote(k) for k in key)
    row_hash = f"hash({', '.join(f'cast({_quote(c)} as varchar)' for c in common)})" if common else "0"
    tables = {}
    for side, relation in (("base", base_relation), ("head", head_relation)):
        sql = f"select {keys}, {row_hash} as __row_hash from {relation}"
        tables[side] = connections[side].sql(sql).to_arrow_table()
    memory = duckdb.connect()
    try:
        memory.register("b", tables["base"])
        memory.register("h", tables["head"])
        duplicates = [side for side, name in (("base", "b"), ("head", "h"))
                      if memory.sql(f"select count(*) - count(distinct ({keys})) from {name}").fetchall()[0][0]]
        if duplicates:
            diff.note = f"key ({', '.join(key)}) is not unique in {' and '.join(duplicates)}: row counts only"
            return
        on = " and ".join(f"b.{_quote(k)} is not distinct from h.{_quote(k)}" for k in key)
        diff.added = memory.sql(f"select count(*) from h where not exists (select 1 from b where {on})").fetchall()[0][0]
        diff.removed = memory.sql(f"select count(*) from b where not exists (select 1 from h where {on})").fetchall()[0][0]
        changed_keys = memory.sql(
            f"select {', '.join(f'b.{_quote(k)}' for k in key)} from b join h on {on} "
            f"where b.__row_hash <> h.__row_hash order by {', '.join(f'b.{_quote(k)}' for k in key)}"
        ).to_arrow_table()
        diff.changed = changed_keys.num_rows
        if not diff.changed or not common:
            return
        if diff.changed > BREAKDOWN_LIMIT:
            changed_keys = changed_keys.slice(0, BREAKDOWN_LIMIT)
            diff.note = f"columns compared on the first {BREAKDOWN_LIMIT:,} changed rows"
        values = {}
        cast = ", ".join(f"cast({_quote(c)} as varchar) as {_quote(c)}" for c in common)
        for side, relation in (("base", base_relation), ("head", head_relation)):
            connection = connections[side]
            connection.register("__changed_keys", changed_keys)
            values[side] = connection.sql(
                f"select {keys}, {cast} from {relation} where ({keys}) in (select ({keys}) from __changed_keys)"
                if len(key) > 1 else
                f"select {keys}, {cast} from {relation} where {keys} in (select {keys} from __changed_keys)"
            ).to_arrow_table()
            connection.unregister("__changed_keys")
        memory.register("bv", values["base"])
        memory.register("hv", values["head"])
        on_values = " and ".join(f"bv.{_quote(k)} is not distinct from hv.{_quote(k)}" for k in key)
        counts = memory.sql(
            "select " + ", ".join(f"count(*) filter (where bv.{_quote(c)} is distinct from hv.{_quote(c)})" for c in common)
            + f" from bv join hv on {on_values}"
        ).fetchall()[0]
        diff.changed_columns = dict(sorted(((c, n) for c, n in zip(common, counts) if n),
                                           key=lambda item: (-item[1], item[0])))
        shown = list(diff.changed_columns)[:4]
        if shown:
            rows = memory.sql(
                f"select {', '.join(f'bv.{_quote(k)}' for k in key)}, "
                + ", ".join(f"bv.{_quote(c)}, hv.{_quote(c)}" for c in shown)
                + f" from bv join hv on {on_values} order by {', '.join(f'bv.{_quote(k)}' for k in key)} limit {EXAMPLES}"
            ).fetchall()
            for row in rows:
                key_values = dict(zip(key, row[:len(key)]))
                pairs = row[len(key):]
                diff.examples.append({
                    "key": {k: str(v) for k, v in key_values.items()},
                    "changes": {c: [pairs[2 * i], pairs[2 * i + 1]] for i, c in enumerate(shown)
                                if pairs[2 * i] != pairs[2 * i + 1]},
                })
    finally:
        memory.close()


# --- all of it -------------------------------------------------------------------------------------


@dataclass
class Numbers:
    scale: str
    grain: str
    strategy: str
    base_build: BuildOutcome | None = None
    head_build: BuildOutcome | None = None
    metrics: list[MetricDiff] = field(default_factory=list)
    marts: list[MartDiff] = field(default_factory=list)
    skipped: str | None = None  # why there are no numbers
    base_database: str = ""
    head_database: str = ""

    @property
    def head_failed(self) -> bool:
        return self.head_build is not None and not self.head_build.ok

    def to_dict(self) -> dict:
        return {
            "scale": self.scale, "grain": self.grain, "strategy": self.strategy, "skipped": self.skipped,
            "base_database": self.base_database, "head_database": self.head_database,
            "base_build": self.base_build.to_dict() if self.base_build else None,
            "head_build": self.head_build.to_dict() if self.head_build else None,
            "metrics": [m.to_dict() for m in self.metrics],
            "metrics_moved": [m.name for m in self.metrics if m.moved],
            "marts": [m.to_dict() for m in self.marts],
        }
