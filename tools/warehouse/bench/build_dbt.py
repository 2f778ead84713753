"""dbt for the warehouse benchmark: one build folder per run, and what its run_results.json says.

Every dbt run of the benchmark gets a folder of its own, built the way tools/tests/conftest.py
builds a test warehouse: its own DuckDB file (named tally.duckdb, because DuckDB names the
catalog after the file and dbt's views refer to it), target path and logs, and the raw data it
reads. Nothing touches the repository's target/ or the published warehouse.

`node_timings` turns run_results.json into the figures the benchmark reports per node (which
models and tests take the time), `split` into sums per kind of node.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from warehouse.bench.build_measure import measured

BIN = Path(sys.executable).parent
DBT = str(BIN / "dbt") if (BIN / "dbt").exists() else (shutil.which("dbt") or "dbt")
# run_results statuses of nodes that did their work (a failing test still ran its query)
RAN = {"success", "pass", "fail", "warn"}


@dataclass
class DbtFolder:
    """A DuckDB file with its dbt target path and logs, for one project and one raw data set.
    The file may live elsewhere (a private build of the write-audit-publish warehouse)."""

    project: Path
    raw_dir: Path
    folder: Path
    threads: int | None = None
    database_path: Path | None = None  # default <folder>/tally.duckdb

    @property
    def database(self) -> Path:
        return self.database_path or self.folder / "tally.duckdb"

    @property
    def target(self) -> Path:
        return self.folder / "target"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "TALLY_"))}
        env.update({
            "DBT_PROFILES_DIR": str(self.project),
            "DBT_PROJECT_DIR": str(self.project),
            "DBT_TARGET_PATH": str(self.target),
            "DBT_LOG_PATH": str(self.folder / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "NO_COLOR": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "TALLY_RAW_DIR": str(self.raw_dir),
            "TALLY_TARGET": "duckdb",
            "TALLY_DUCKDB_PATH": str(self.database),
            "TALLY_DUCKDB_READ_ONLY": "False",
        })
        if self.threads:
            env["TALLY_THREADS"] = str(self.threads)
        return env

    def run(self, args: list[str], name: str, check: bool = True) -> dict:
        """`dbt <args>`, measured; the run's node timings and a copy of its artifacts under
        <folder>/artifacts/<name>/ (a later run in the same target path overwrites them)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        result = measured([DBT, *args], self.project, self.env(), self.folder / "logs" / f"{name}.log", check=False)
        kept = self.folder / "artifacts" / name
        kept.mkdir(parents=True, exist_ok=True)
        for artifact in ("run_results.json", "manifest.json"):
            if (self.target / artifact).exists():
                shutil.copy2(self.target / artifact, kept / artifact)
        result["artifacts"] = str(kept)
        result["dbt"] = summarise(kept / "run_results.json", kept / "manifest.json")
        if check and result["exit_code"] != 0:
            failed = ", ".join(result["dbt"].get("failed", [])[:10])
            raise RuntimeError(f"dbt {' '.join(args)} failed (exit {result['exit_code']}): {failed}; "
                               f"see {result['log']}")
        return result


def _seconds(timing: list[dict], name: str) -> float:
    for entry in timing or []:
        if entry.get("name") == name and entry.get("started_at") and entry.get("completed_at"):
            started = datetime.fromisoformat(entry["started_at"].replace("Z", "+00:00"))
            completed = datetime.fromisoformat(entry["completed_at"].replace("Z", "+00:00"))
            return (completed - started).total_seconds()
    return 0.0


def node_kind(unique_id: str, manifest: dict) -> str:
    """model:<materialization>, seed, test, unit_test."""
    resource_type = unique_id.split(".", 1)[0]
    if resource_type == "model":
        node = manifest.get("nodes", {}).get(unique_id, {})
        return f"model:{(node.get('config') or {}).get('materialized', '?')}"
    return resource_type


def node_timings(run_results: dict, manifest: dict) -> list[dict]:
    """Every node of a run, slowest first: kind, status, seconds executing and compiling."""
    rows = []
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        rows.append({
            "node": unique_id.split(".", 2)[-1] if unique_id.startswith("model.") else unique_id.split(".")[2],
            "unique_id": unique_id,
            "kind": node_kind(unique_id, manifest),
            "status": result.get("status"),
            "execution_s": round(result.get("execution_time") or 0.0, 3),
            "execute_s": round(_seconds(result.get("timing"), "execute"), 3),
            "compile_s": round(_seconds(result.get("timing"), "compile"), 3),
            "thread": result.get("thread_id"),
        })
    return sorted(rows, key=lambda row: -row["execution_s"])


def split(rows: list[dict]) -> dict[str, dict]:
    """Count and summed execution seconds per kind of node (threads overlap: sums exceed wall)."""
    kinds: dict[str, dict] = {}
    for row in rows:
        kind = kinds.setdefault(row["kind"], {"count": 0, "execution_s": 0.0})
        kind["count"] += 1
        kind["execution_s"] = round(kind["execution_s"] + row["execution_s"], 3)
    return dict(sorted(kinds.items()))


def summarise(run_results_path: Path, manifest_path: Path, top: int = 15) -> dict:
    if not run_results_path.exists():
        return {}
    run_results = json.loads(run_results_path.read_text())
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    rows = node_timings(run_results, manifest)
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {
        "elapsed_s": round(run_results.get("elapsed_time") or 0.0, 2),
        "nodes": len(rows),
        "statuses": statuses,
        "failed": [f"{row['unique_id']} ({row['status']})" for row in rows if row["status"] in ("error", "fail")],
        "by_kind": split(rows),
        "slowest": rows[:top],
    }


def all_nodes(artifacts: Path) -> list[dict]:
    """Every node's timing of a run whose artifacts were kept (for the JSON's full list)."""
    run_results = json.loads((artifacts / "run_results.json").read_text())
    manifest = json.loads((artifacts / "manifest.json").read_text())
    return node_timings(run_results, manifest)
