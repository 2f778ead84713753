"""Find and load the dbt project's artifacts: manifest, semantic manifest and catalog.

tally reads `target/manifest.json` and `target/semantic_manifest.json`, and `catalog.json` for
column types when it exists. When the manifest is missing, or older than the project's files,
tally runs `dbt parse` itself (unless told not to).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_FILE_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md", ".py")


class ArtifactError(RuntimeError):
    """The artifacts could not be found or read; the message says what to do."""


@dataclass
class Artifacts:
    project_dir: Path
    manifest: dict
    semantic_manifest: dict
    catalog: dict | None
    manifest_path: Path


def project_paths(project_dir: Path) -> list[Path]:
    """Folders and files whose changes make the manifest stale."""
    candidates = [project_dir / "dbt_project.yml"]
    for name in ("models", "macros", "seeds", "snapshots", "analyses", "tests"):
        candidates.append(project_dir / name)
    return [p for p in candidates if p.exists()]


def newest_project_mtime(project_dir: Path) -> float:
    newest = 0.0
    for path in project_paths(project_dir):
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
            continue
        for root, _dirs, files in os.walk(path):
            for name in files:
                if name.endswith(PROJECT_FILE_SUFFIXES):
                    newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
    return newest


def _read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{what} not found at {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{what} at {path} cannot be read: {exc}") from None


def run_dbt_parse(project_dir: Path, target_path: Path) -> None:
    dbt = shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")
    if not Path(dbt).exists() and shutil.which("dbt") is None:
        raise ArtifactError(
            "the manifest is missing or stale and dbt is not installed to rebuild it; "
            "run `dbt parse` or pass --manifest"
        )
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    env.setdefault("DBT_PROFILES_DIR", str(project_dir))
    completed = subprocess.run(
        [dbt, "parse", "--project-dir", str(project_dir), "--target-path", str(target_path), "--quiet"],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr).strip().splitlines()
        tail = "\n  ".join(output[-8:])
        raise ArtifactError(f"`dbt parse` failed in {project_dir}:\n  {tail}")


def load_artifacts(
    project_dir: Path,
    target_path: Path | None = None,
    manifest_path: Path | None = None,
    parse_if_stale: bool = True,
) -> Artifacts:
    """Load the artifacts, running `dbt parse` first when they are missing or stale.

    An explicit --manifest is taken as is: its semantic manifest and catalog are looked for
    beside it.
    """
    if manifest_path is not None:
        target = manifest_path.parent
    else:
        target = target_path or project_dir / "target"
        manifest_path = target / "manifest.json"
        if parse_if_stale and (project_dir / "dbt_project.yml").exists():
            stale = (
                not manifest_path.exists()
                or manifest_path.stat().st_mtime < newest_project_mtime(project_dir)
            )
            if stale:
                run_dbt_parse(project_dir, target)
    if not manifest_path.exists():
        raise ArtifactError(
            f"no dbt manifest at {manifest_path}: run `dbt parse` in the project, or pass --manifest"
        )
    manifest = _read_json(manifest_path, "dbt manifest")
    if "nodes" not in manifest:
        raise ArtifactError(f"{manifest_path} is not a dbt manifest (it has no 'nodes')")
    semantic_path = target / "semantic_manifest.json"
    semantic = _read_json(semantic_path, "semantic manifest") if semantic_path.exists() else {}
    catalog_path = target / "catalog.json"
    catalog = None
    if catalog_path.exists():
        try:
            catalog = _read_json(catalog_path, "catalog")
        except ArtifactError:
            catalog = None  # column types are a bonus; the manifest alone is enough
    return Artifacts(project_dir, manifest, semantic, catalog, manifest_path)
