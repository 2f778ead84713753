"""Gather the SQL units to check: boards, analyses, .sql files, stdin and models."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from tally.config import Config
from tally.inputs.artifacts import project_vars
from tally.inputs.boards import read_board
from tally.inputs.jinja import ProjectMacros, render_dbt_sql
from tally.inputs.project import Node, Project
from tally.inputs.units import ANALYSIS, MODEL, SQL_FILE, STDIN, LineMap, SqlUnit

BOARD_SUFFIXES = (".yml", ".yaml")


def display_path(path: Path, project_dir: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), project_dir.resolve())
    except ValueError:
        return str(path)


def relation_for(project: Project, node: Node | None) -> str | None:
    if node is None:
        return None
    database, schema, identifier = project.relation_parts(node)
    if node.relation_name and "(" in node.relation_name:
        return node.relation_name  # an external source: keep the table function
    return ".".join(p for p in (schema, identifier) if p)


def _render(project: Project, raw: str, this: str = "this", portable: bool = False) -> str:
    """Render dbt Jinja. `portable` renders relations as plain schema.table names, since dbt
    renders ref() and source() right on every engine (no adapter-specific table functions)."""

    def resolve_ref(name: str) -> str | None:
        return relation_for(project, project.by_name(name))

    def resolve_source(source_name: str, table: str) -> str | None:
        if portable:
            return f"{source_name}.{table}"
        node = next((n for n in project.sources() if n.source_name == source_name and n.name == table), None)
        return relation_for(project, node)

    macros, variables = _rendering_inputs(project)
    return render_dbt_sql(raw, resolve_ref, resolve_source, variables=variables, this=this,
                          macros=macros, dispatch=not portable)


def _rendering_inputs(project: Project) -> tuple[ProjectMacros, dict]:
    """The project's macros (compiled once) and the vars of its dbt_project.yml."""
    cached = project.__dict__.get("_rendering_inputs")
    if cached is None:
        cached = project.__dict__["_rendering_inputs"] = (
            ProjectMacros.from_manifest(project.manifest),
            project_vars(project.config.project_dir, project.project_name),
        )
    return cached


def node_unit(project: Project, node: Node, kind: str) -> SqlUnit:
    """A model or analysis: compiled SQL when dbt compiled it, else rendered raw SQL.

    Built once per node and kind: the engine's model analyses and `collect` share the unit,
    so its Jinja is rendered and its line map aligned once.
    """
    cache = project.__dict__.setdefault("_node_units", {})
    unit = cache.get((node.unique_id, kind))
    if unit is None or unit.node is not node:
        unit = cache[(node.unique_id, kind)] = _node_unit(project, node, kind)
    return unit


def _node_unit(project: Project, node: Node, kind: str) -> SqlUnit:
    if node.compiled_code:
        sql = node.compiled_code
    else:
        sql = _render(project, node.raw_code, this=relation_for(project, node) or node.name)
    unit = SqlUnit(kind=kind, path=node.path or node.unique_id, name=node.name, sql=sql, node=node)
    if sql != node.raw_code:
        unit.line_map = LineMap(node.raw_code, sql)
    if kind == MODEL:
        unit.portable_sql = _render(project, node.raw_code, this=relation_for(project, node) or node.name,
                                    portable=True)
    return unit


def sql_file_unit(project: Project, path: Path, shown: str, kind: str = SQL_FILE) -> SqlUnit:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return SqlUnit(kind, shown, path.stem, "", input_error=f"cannot read: {exc.strerror}")
    return text_unit(project, data, shown, path.stem, kind)


def text_unit(project: Project, data: bytes, shown: str, name: str, kind: str) -> SqlUnit:
    if b"\x00" in data:
        return SqlUnit(kind, shown, name, "", input_error="binary content (NUL bytes), not SQL text")
    try:
        text = data.decode("utf-8-sig")  # an editor's byte-order mark is not SQL
    except UnicodeDecodeError as exc:
        return SqlUnit(kind, shown, name, "", input_error=f"not UTF-8 text (byte {exc.start})")
    sql = _render(project, text) if ("{{" in text or "{%" in text) else text
    unit = SqlUnit(kind, shown, name, sql)
    if sql != text:
        unit.line_map = LineMap(text, sql)
    return unit


def collect(project: Project, config: Config, paths: list[str] | None = None,
            stdin_text: bytes | None = None) -> tuple[list[SqlUnit], list[SqlUnit]]:
    """(dashboard units, model units) to check.

    With explicit paths, only those files (boards, .sql files, folders of them) are checked, plus
    stdin when '-' is given. Without, everything the configuration names: boards, analyses,
    extra .sql paths and, unless disabled, the project's models.
    """
    project_dir = config.project_dir
    dashboards: list[SqlUnit] = []
    models: list[SqlUnit] = []
    if paths:
        by_path = {os.path.normpath(n.path): n for n in project.nodes.values() if n.path}
        for raw in paths:
            if raw == "-":
                dashboards.append(text_unit(project, stdin_text or b"", "<stdin>", "stdin", STDIN))
                continue
            path = Path(raw)
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for file in files:
                shown = display_path(file, project_dir)
                node = by_path.get(os.path.normpath(shown))
                if node is not None and node.resource_type == "model":
                    models.append(node_unit(project, node, MODEL))
                elif node is not None and node.resource_type == "analysis":
                    dashboards.append(node_unit(project, node, ANALYSIS))
                elif file.suffix in BOARD_SUFFIXES:
                    dashboards.extend(read_board(file, shown))
                elif file.suffix == ".sql" or not path.is_dir():
                    if not file.exists():
                        dashboards.append(SqlUnit(SQL_FILE, shown, file.stem, "", input_error="no such file"))
                    else:
                        dashboards.append(sql_file_unit(project, file, shown))
        return dashboards, models

    for pattern in config.dashboards:
        for name in sorted(glob.glob(str(project_dir / pattern), recursive=True)):
            file = Path(name)
            if file.name in ("meta.yml", "meta.yaml", "dbt_charts.yml"):
                continue  # dbt-charts folder defaults and project config, not boards
            dashboards.extend(read_board(file, display_path(file, project_dir)))
    for node in sorted(project.nodes.values(), key=lambda n: n.path):
        if node.resource_type == "analysis" and node.is_root_project:
            dashboards.append(node_unit(project, node, ANALYSIS))
    for pattern in config.sql_paths:
        for name in sorted(glob.glob(str(project_dir / pattern), recursive=True)):
            dashboards.append(sql_file_unit(project, Path(name), display_path(Path(name), project_dir)))
    if config.check_models:
        for node in project.models():
            models.append(node_unit(project, node, MODEL))
    return dashboards, models
