"""`tally check`: inputs -> analysis -> rules -> report."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from tally import config as config_module
from tally.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, ToolError
from tally.engine import build_shared, check, default_workers, enabled_rules
from tally.inputs.artifacts import ArtifactError, load_artifacts
from tally.inputs.collect import collect
from tally.inputs.metricflow import CanonicalSql
from tally import reports


def project_dir_from(args) -> Path:
    if args.project_dir is not None:
        return args.project_dir.resolve()
    cwd = Path.cwd()
    if (cwd / "dbt_project.yml").exists():
        return cwd
    env = os.environ.get("DBT_PROJECT_DIR")
    return Path(env).resolve() if env else cwd


def load_context(args):
    """Configuration and the project's shared analysis, or a ToolError saying why not."""
    project_dir = project_dir_from(args)
    if not (project_dir / "dbt_project.yml").exists() and args.manifest is None:
        raise ToolError(f"{project_dir} is not a dbt project (no dbt_project.yml); use --project-dir or --manifest")
    try:
        config = config_module.load(project_dir, args.config)
    except config_module.ConfigError as exc:
        raise ToolError(str(exc)) from None
    target_path = args.target_path or (Path(os.environ["DBT_TARGET_PATH"]) if os.environ.get("DBT_TARGET_PATH") else None)
    try:
        artifacts = load_artifacts(
            project_dir,
            target_path=target_path,
            manifest_path=args.manifest,
            parse_if_stale=not args.no_parse,
        )
    except ArtifactError as exc:
        raise ToolError(str(exc)) from None
    return config, artifacts


# tally keeps every model's syntax tree alive until it exits. With the default thresholds the
# collector's full passes over that heap took a third of a 4,000-unit check (12 of 40 CPU
# seconds) and freed almost nothing; young garbage is still collected as usual.
GC_THRESHOLDS = (700, 10, 10_000)


def run(args) -> int:
    gc.set_threshold(*GC_THRESHOLDS)
    config, artifacts = load_context(args)
    if args.select:
        config.select = [c.strip().upper() for c in args.select.split(",") if c.strip()]
    if args.ignore:
        config.ignore += [c.strip().upper() for c in args.ignore.split(",") if c.strip()]
    if args.no_models:
        config.check_models = False
    try:
        rules = enabled_rules(config)
    except config_module.ConfigError as exc:
        raise ToolError(str(exc)) from None

    if args.jobs is not None and args.jobs < 1:
        raise ToolError("--jobs must be at least 1")
    workers = args.jobs or default_workers()
    run_project_rules = not args.paths
    shared = build_shared(artifacts, config, workers=workers, rules=rules if run_project_rules else [])
    stdin_text = sys.stdin.buffer.read() if "-" in args.paths else None
    dashboards, models = collect(shared.project, config, args.paths or None, stdin_text)
    result = check(shared, dashboards, models, rules, run_project_rules=run_project_rules, workers=workers)

    if args.canonical_sql:
        provider = CanonicalSql(artifacts.manifest_path.parent / "semantic_manifest.json", shared.dialect)
        for finding in result.findings:
            metric = finding.details.get("metric")
            if metric:
                finding.details["canonical_sql"] = provider.sql(metric, finding.details.get("grain"))

    colour = args.color == "always" or (args.color == "auto" and args.output is None and sys.stdout.isatty()
                                         and not os.environ.get("NO_COLOR"))
    text = reports.get(args.format)(result, colour=colour)
    if args.output:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ToolError(f"cannot write {args.output}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
    return EXIT_FINDINGS if result.has_errors else EXIT_CLEAN


__all__ = ["run", "load_context", "EXIT_ERROR"]
