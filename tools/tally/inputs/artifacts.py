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

import yaml

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


def project_vars(project_dir: Path, project_name: str) -> dict:
    """The vars of dbt_project.yml as a model of the project sees them: the global ones and the
    project's own (`vars: {<project>: {...}}`). Empty when the file is missing or unreadable:
    dbt's parse reports that, and var() then renders as NULL."""
    try:
        raw = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    declared = raw.get("vars") if isinstance(raw, dict) else None
    if not isinstance(declared, dict):
        return {}
    scoped = declared.get(project_name) if project_name else None
    variables = {k: v for k, v in declared.items() if not (k == project_name and isinstance(v, dict))}
    if isinstance(scoped, dict):
        variables.update(scoped)
    return variables


def _read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{what} not found at {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{what} at {path} cannot be read: {exc}") from None


# The sections tally reads from each artifact, and the JSON type of each entry in them, as dbt
# writes them. A file that differs is corrupt, and saying so beats failing deep inside tally.
MANIFEST_SECTIONS = {"nodes": dict, "sources": dict, "exposures": dict, "metrics": dict}
SEMANTIC_SECTIONS = {"semantic_models": list, "metrics": list}
CATALOG_SECTIONS = {"nodes": dict, "sources": dict}


def _check_shape(data: object, path: Path, what: str, sections: dict[str, type]) -> None:
    def kind(value: object) -> str:
        return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(value), "a number")

    if not isinstance(data, dict):
        raise ArtifactError(f"{what} at {path} is corrupt: it holds {kind(data)}, not an object; rebuild it with dbt")
    if not isinstance(data.get("metadata", {}), dict):
        raise ArtifactError(f"{what} at {path} is corrupt: 'metadata' is {kind(data['metadata'])}; rebuild it with dbt")
    for key, container in sections.items():
        if key not in data:
            continue
        section = data[key]
        if not isinstance(section, container):
            raise ArtifactError(f"{what} at {path} is corrupt: '{key}' is {kind(section)}, not {kind(container())}; "
                                f"rebuild it with dbt")
        entries = section.values() if isinstance(section, dict) else section  # lists are found by name
        if not all(isinstance(entry, dict) and isinstance(entry.get("name", "" if container is dict else None), str)
                   for entry in entries):
            raise ArtifactError(f"{what} at {path} is corrupt: '{key}' holds an entry that is not a named object; "
                                f"rebuild it with dbt")


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
    if not isinstance(manifest, dict) or "nodes" not in manifest:
        raise ArtifactError(f"{manifest_path} is not a dbt manifest (it has no 'nodes')")
    _check_shape(manifest, manifest_path, "dbt manifest", MANIFEST_SECTIONS)
    semantic_path = target / "semantic_manifest.json"
    semantic = _read_json(semantic_path, "semantic manifest") if semantic_path.exists() else {}
    _check_shape(semantic, semantic_path, "semantic manifest", SEMANTIC_SECTIONS)
    catalog_path = target / "catalog.json"
    catalog = None
    if catalog_path.exists():
        try:
            catalog = _read_json(catalog_path, "catalog")
            _check_shape(catalog, catalog_path, "catalog", CATALOG_SECTIONS)
        except ArtifactError:
            catalog = None  # column types are a bonus; the manifest alone is enough
    return Artifacts(project_dir, manifest, semantic, catalog, manifest_path)
