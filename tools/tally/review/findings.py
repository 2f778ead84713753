"""Findings on the changed files only: tally's own rules, and sqlfluff on the changed SQL.

tally's rules run through the engine `tally check` uses, over head's shared analysis (the same
one the rest of the review reads); a finding is kept when it points into a changed file.
sqlfluff runs as its own process beside the builds, with the project's sqlfluff configuration
when it has one (else the project's dialect and dbt's templater), on a scratch DuckDB file so it
never touches a warehouse. Its violations are reported at `sqlfluff_severity` (warning unless
configured): style alone does not fail a review. A tally error fails the review when this
change brings it; one the base already had in that file is shown and marked, not held against
the change.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tally.config import ConfigError, matches_any
from tally.engine import check, enabled_rules
from tally.findings import Finding, Location, Severity
from tally.inputs.collect import collect
from tally.reports.json_report import finding_dict
from tally.review.changes import Changes, SideAnalysis
from tally.review.workspace import ReviewError, Workspace, executable, side_env

SQLFLUFF_DIALECTS = {"spark": "sparksql", "databricks": "databricks", "tsql": "tsql"}
SQLFLUFF_SETUP_ERRORS = {"PRS": "sqlfluff could not parse this", "TMP": "sqlfluff could not template this"}


@dataclass
class ReviewFindings:
    files: list[str] = field(default_factory=list)  # changed files, relative to the project
    tally: list[Finding] = field(default_factory=list)
    sqlfluff: list[Finding] = field(default_factory=list)
    rules_run: int = 0
    sqlfluff_files: int = 0  # SQL files sqlfluff linted
    notes: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[Finding]:
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        return sorted(self.tally + self.sqlfluff, key=lambda f: (order[f.severity], f.sort_key()))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.all if f.severity == Severity.ERROR]

    @property
    def failing(self) -> list[Finding]:
        """Errors this change brings: an error base already had in that file does not fail the
        review (it is shown, marked as such). Without a base to compare, every error counts."""
        return [f for f in self.errors if f.details.get("new") is not False]

    def to_dict(self) -> dict:
        return {
            "files": self.files,
            "rules_run": self.rules_run,
            "sqlfluff_files": self.sqlfluff_files,
            "tally": [finding_dict(f) for f in self.tally],
            "sqlfluff": [finding_dict(f) for f in self.sqlfluff],
            "errors": len(self.errors),
            "errors_failing": len(self.failing),
            "notes": self.notes,
        }


def changed_files(ws: Workspace, head: SideAnalysis, changes: Changes) -> list[str]:
    """From git when the base is a commit; else the files of the changed nodes."""
    if ws.changed_files is not None:
        return list(ws.changed_files)
    files = set()
    nodes = head.graph_nodes()
    for change in changes.nodes:
        raw = nodes.get(change.unique_id) or {}
        for key in ("original_file_path", "patch_path"):
            value = raw.get(key)
            if value:
                files.add(value.split("://", 1)[-1])
    return sorted(files)


def tally_findings(head: SideAnalysis, files: list[str]) -> tuple[list[Finding], int]:
    """tally's rules on the changed boards, analyses and models; project rules kept where they
    point into a changed file (a model's YAML, say)."""
    config = head.config
    try:
        rules = enabled_rules(config)
    except ConfigError as exc:
        raise ReviewError(str(exc)) from None
    node_paths = {os.path.normpath(n.path) for n in head.shared.project.nodes.values()
                  if n.path and n.resource_type in ("model", "analysis")}
    targets = []
    for name in files:
        path = config.project_dir / name
        if not path.is_file():
            continue
        if os.path.normpath(name) in node_paths or (name.endswith(".sql") and matches_any(name, config.sql_paths)):
            targets.append(str(path))
        elif name.endswith((".yml", ".yaml")) and matches_any(name, config.dashboards) \
                and Path(name).name not in ("meta.yml", "meta.yaml", "dbt_charts.yml"):
            targets.append(str(path))
    dashboards, models = collect(head.shared.project, config, targets) if targets else ([], [])
    result = check(head.shared, dashboards, models, rules, run_project_rules=True)
    wanted = {os.path.normpath(f) for f in files}
    return [f for f in result.findings if os.path.normpath(f.location.path) in wanted], len(rules)


def mark_new(head: list[Finding], base: list[Finding]) -> None:
    """details["new"]: True when base had no finding of that rule with that message in that file
    (lines move, so they are not compared)."""
    before = {(f.code, os.path.normpath(f.location.path), f.message) for f in base}
    for finding in head:
        finding.details["new"] = (finding.code, os.path.normpath(finding.location.path), finding.message) not in before


# --- sqlfluff ----------------------------------------------------------------------------------------


def has_sqlfluff_config(project_dir: Path) -> bool:
    if (project_dir / ".sqlfluff").exists():
        return True
    for name, marker in (("setup.cfg", "[sqlfluff"), ("tox.ini", "[sqlfluff")):
        path = project_dir / name
        if path.exists() and marker in path.read_text(encoding="utf-8", errors="replace"):
            return True
    pyproject = project_dir / "pyproject.toml"
    if pyproject.exists():
        try:
            return "sqlfluff" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            return False
    return False


def sqlfluff_files(head: SideAnalysis, files: list[str]) -> list[str]:
    """The changed SQL files sqlfluff can lint: models and analyses."""
    node_paths = {os.path.normpath(n.path) for n in head.shared.project.nodes.values()
                  if n.path and n.resource_type in ("model", "analysis")}
    return [f for f in files if f.endswith(".sql") and os.path.normpath(f) in node_paths
            and (head.config.project_dir / f).is_file()]


def start_sqlfluff(ws: Workspace, files: list[str], dialect: str) -> subprocess.Popen | None:
    if not files or not ws.settings.sqlfluff:
        return None
    try:
        command = [executable("sqlfluff"), "lint", "--format", "json", "--nocolor"]
    except ReviewError:
        return None
    if not has_sqlfluff_config(ws.project_dir):
        templater = "dbt" if importlib.util.find_spec("sqlfluff_templater_dbt") else "jinja"
        command += ["--dialect", SQLFLUFF_DIALECTS.get(dialect, dialect), "--templater", templater]
    scratch = ws.settings.work_path / "sqlfluff"
    env = side_env(ws.settings, ws.project_dir, scratch, scratch / "target", scratch / ws.settings.database,
                   ws.project_dir)
    scratch.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([*command, *files], cwd=ws.project_dir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish_sqlfluff(process: subprocess.Popen | None, severity: str) -> tuple[list[Finding], list[str]]:
    if process is None:
        return [], []
    stdout, stderr = process.communicate()
    try:
        report = json.loads(stdout or "[]")
    except ValueError:
        tail = "\n".join((stderr or stdout or "").strip().splitlines()[-5:])
        return [], [f"sqlfluff did not run (exit {process.returncode}): {tail}"]
    level = Severity.parse(severity)
    findings = []
    for entry in report:
        path = entry.get("filepath", "")
        for violation in entry.get("violations", []):
            code = violation.get("code", "")
            message = violation.get("description", "")
            if code in SQLFLUFF_SETUP_ERRORS:
                message = f"{SQLFLUFF_SETUP_ERRORS[code]}: {message}"
            findings.append(Finding(
                code=code,
                message=message,
                location=Location(path, int(violation.get("start_line_no") or 1), int(violation.get("start_line_pos") or 1)),
                severity=Severity.WARNING if violation.get("warning") and level == Severity.ERROR else level,
                rule_name=violation.get("name", ""),
                details={"tool": "sqlfluff"},
                subject="sqlfluff",
            ))
    return findings, []
