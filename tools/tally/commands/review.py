"""`tally review --base REF`: what a change does to the numbers, as a pull-request comment.

Wires tally.review's steps together, in this order (the base build runs beside steps 3-5):

  1. workspace   the base from git (or --base-state), both sides parsed by dbt at once
  2. base build  in full, cached per base commit and scale        (background)
  3. state       dbt's state:modified in head
  4. analysis    tally's analysis of both sides: changes, column lineage, breaking changes
  5. findings    tally's rules and sqlfluff (background) on the changed files
  6. head build  a copy of the base warehouse, changed models and descendants rebuilt
  7. metrics     every impacted metric on both warehouses; 8. diffs: changed marts by key
  9. report      Markdown for the pull request, JSON for machines

Exit codes: 0 passes; 1 fails (a breaking change not carried by a new model version, a finding
at error severity, or a head that dbt cannot parse or build: the report says which); 2 the
review could not run (a missing ref, a base that does not parse, bad configuration).
"""

from __future__ import annotations

import shutil
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from tally import config as config_module
from tally.cli import ToolError
from tally.commands.check import project_dir_from
from tally.reports import review as review_report
from tally.review import breaking, changes as changes_module, findings as findings_module, numbers as numbers_module
from tally.review.result import HeadError, ReviewResult
from tally.review.settings import ReviewSettings
from tally.review.workspace import ReviewError, Workspace, git, locked, open_workspace, parse


class Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started

    def run(self, phase: str, function, *args):
        with self(phase):
            return function(*args)


def run(args) -> int:
    started = time.perf_counter()
    project_dir = project_dir_from(args)
    if not (project_dir / "dbt_project.yml").exists():
        raise ToolError(f"{project_dir} is not a dbt project (no dbt_project.yml); use --project-dir")
    try:
        config = config_module.load(project_dir, args.config)
        settings = ReviewSettings.from_config(config, scale=args.scale, strategy=args.strategy)
    except config_module.ConfigError as exc:
        raise ToolError(str(exc)) from None
    try:
        with locked(settings.work_path / "head.lock"):  # one review of a project at a time
            result = review(project_dir, config, settings, args)
    except ReviewError as exc:
        raise ToolError(str(exc)) from None
    render = review_report.render_markdown if args.format == "markdown" else review_report.render_json
    report_started = time.perf_counter()
    render(result)  # timed once; written below with the timings filled in
    result.timings["report"] = time.perf_counter() - report_started
    result.timings["total"] = time.perf_counter() - started
    _write(args.output, render(result))
    if args.json_output:
        _write(args.json_output, review_report.render_json(result))
    return result.exit_code


def _write(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ToolError(f"cannot write {path}: {exc.strerror}") from None


def review(project_dir: Path, config, settings: ReviewSettings, args) -> ReviewResult:
    timer = Timer()
    ws = open_workspace(project_dir, settings, args.base, args.base_state, args.base_database)
    timer.seconds["worktree"] = ws.timings.get("worktree", 0.0)
    result = ReviewResult(
        project=str(project_dir),
        base={"ref": args.base, "sha": ws.base_sha, "state": str(ws.state_dir)},
        head=_head_description(project_dir),
        run_dir=str(ws.run_dir),
    )
    result.timings = timer.seconds
    parse(ws)
    timer.seconds["parse"] = ws.timings["parse"]
    dbt_modified = None
    if not ws.head_parse_error:
        dbt_modified = timer.run("state", changes_module.state_modified, ws)
    if ws.head_parse_error:
        result.errors.append(HeadError("parse", None, ws.head_parse_error))
        return result
    head_artifacts = _snapshot(ws.head.target_dir, ws.run_dir / "head-artifacts")

    build = not args.no_build
    skipped = None
    if args.no_build:
        skipped = "--no-build was given"
    elif not settings.can_build:
        skipped = ("[tool.tally.review] build_env does not place the warehouse: set the variable your "
                   "profile reads the DuckDB path from to \"{database}\"")
        build = False
    numbers = numbers_module.Numbers(settings.scale, settings.grain, settings.strategy, skipped=skipped,
                                     base_database=str(ws.base.database), head_database=str(ws.head.database))
    result.numbers = numbers

    with ThreadPoolExecutor(max_workers=2) as pool:
        base_future: Future | None = None
        if build:
            base_future = pool.submit(_base_build, ws, timer)

        with timer("analysis"):
            base_side = changes_module.analyse_side("base", ws.base.project_dir, ws.state_dir, config)
            head_side = changes_module.analyse_side("head", project_dir, head_artifacts, config)
            changes = changes_module.compare(base_side, head_side, dbt_modified)
            result.changes = changes
            result.breaking = breaking.find_breaking(base_side, head_side, changes)

        head_future: Future | None = None
        if build and settings.strategy == "parallel":
            head_future = pool.submit(_head_build, ws, None, changes, timer)

        with timer("findings"):
            files = findings_module.changed_files(ws, head_side, changes)
            review_findings = findings_module.ReviewFindings(files=files)
            sql_files = findings_module.sqlfluff_files(head_side, files)
            sqlfluff = findings_module.start_sqlfluff(ws, sql_files, head_side.shared.dialect)
            review_findings.sqlfluff_files = len(sql_files) if sqlfluff is not None else 0
            review_findings.tally, review_findings.rules_run = findings_module.tally_findings(head_side, files)
            if ws.base.project_dir is not None:
                before, _ = findings_module.tally_findings(base_side, files)
                findings_module.mark_new(review_findings.tally, before)
            result.findings = review_findings
            if sqlfluff is None and sql_files and settings.sqlfluff:
                review_findings.notes.append("sqlfluff is not installed: SQL style not checked")

        if build:
            base_outcome = base_future.result()
            numbers.base_build = base_outcome
            if not base_outcome.ok:
                first = (base_outcome.failures or [{"node": "?", "message": base_outcome.note}])[0]
                numbers.skipped = (f"the base ({ws.base_label}) does not build here: {first['node']}: "
                                   f"{first['message'].splitlines()[0] if first['message'] else ''}")
                build = False
        if build:
            if head_future is None:
                head_outcome = _head_build(ws, base_outcome, changes, timer)
            else:
                head_outcome = head_future.result()
            numbers.head_build = head_outcome
            for failure in head_outcome.failures:
                result.errors.append(HeadError("build", failure["node"], failure["message"]))
            if head_outcome.ok:
                labels = {}
                for side in (base_side, head_side):
                    labels.update({name: (m.label, m.type) for name, m in side.shared.semantic.metrics.items()})
                numbers.metrics = timer.run("metrics", numbers_module.metric_diffs, ws, changes.impacted_metrics, labels)
                with timer("diffs"):
                    numbers.marts = _mart_diffs(ws, base_side, head_side, changes)

        with timer("findings"):
            fluff, notes = findings_module.finish_sqlfluff(sqlfluff, settings.sqlfluff_severity)
            review_findings.sqlfluff = fluff
            review_findings.notes += notes
    return result


def _base_build(ws: Workspace, timer: Timer):
    with timer("prepare"):
        numbers_module.ensure_raw(ws.settings)
    with timer("base_build"):
        return numbers_module.build_base(ws)


def _head_build(ws: Workspace, base_outcome, changes, timer: Timer):
    with timer("head_build"):
        if ws.settings.strategy == "parallel":
            numbers_module.ensure_raw(ws.settings)
        rebuild = any(n.resource_type in changes_module.BUILDABLE and n.change != "removed"
                      for n in changes.nodes + changes.downstream)
        if (ws.settings.strategy == "clone" and not rebuild and base_outcome is not None and base_outcome.ok
                and ws.base.database.exists()):
            ws.head.database.parent.mkdir(parents=True, exist_ok=True)
            numbers_module.clone(ws.base.database, ws.head.database)
            return numbers_module.BuildOutcome("head", True, note="no model changed: a copy of the base warehouse")
        return numbers_module.build_head(ws, base_outcome)


def _mart_diffs(ws: Workspace, base_side, head_side, changes) -> list:
    """Every changed model of the marts layer (or public), base against head, on its key."""
    base_project, head_project = base_side.shared.project, head_side.shared.project
    reverse = {new: old for old, new in changes.renames.items()}
    diffs = []
    for change in changes.nodes + changes.downstream:
        if change.resource_type != "model":
            continue
        head_node = head_project.nodes.get(change.unique_id) if change.change != "removed" else None
        base_node = base_project.nodes.get(reverse.get(change.unique_id, change.unique_id))
        node = head_node or base_node
        if node is None:
            continue
        project = head_project if head_node is not None else base_project
        if not (project.layer_of(node) == "marts" or node.is_public):
            continue
        key = list((head_node or base_node).primary_key or (base_node.primary_key if base_node else None) or [])
        diffs.append(numbers_module.mart_diff(
            node.name, ws.base.database, ws.head.database,
            base_node.relation_name if base_node else None, head_node.relation_name if head_node else None, key,
            ws.settings.ignore_columns))
    return diffs


def _snapshot(target: Path, dest: Path) -> Path:
    """Head's parse artifacts, copied before a build rewrites the target folder."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("manifest.json", "semantic_manifest.json", "catalog.json"):
        if (target / name).exists():
            shutil.copyfile(target / name, dest / name)
    return dest


def _head_description(project_dir: Path) -> dict:
    try:
        sha = git(project_dir, "rev-parse", "HEAD").strip()
        dirty = bool(git(project_dir, "status", "--porcelain", "--", ".").strip())
    except ReviewError:
        return {"project": str(project_dir), "commit": None, "uncommitted_changes": None}
    return {"project": str(project_dir), "commit": sha, "uncommitted_changes": dirty}


__all__ = ["run", "review"]
