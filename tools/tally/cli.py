"""The `tally` command. It only wires inputs, analysis, rules and reports together.

Exit codes: 0 clean, 1 findings at error severity, 2 tally could not run (the reason is printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from tally import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class ToolError(RuntimeError):
    """tally cannot run; the message is for the user."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project-dir", type=Path, default=None,
                        help="the dbt project (default: the current directory, or $DBT_PROJECT_DIR)")
    parser.add_argument("--target-path", type=Path, default=None, help="dbt's target folder (default: <project>/target)")
    parser.add_argument("--manifest", type=Path, default=None, help="a manifest.json to use as is")
    parser.add_argument("--no-parse", action="store_true", help="never run `dbt parse`, even when the manifest is stale")
    parser.add_argument("--config", type=Path, default=None, help="a pyproject.toml to read [tool.tally] from")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")


def build_parser() -> argparse.ArgumentParser:
    from tally.reports import FORMATS

    parser = argparse.ArgumentParser(
        prog="tally",
        description="Keep dashboards, analyses and models on the canonical metric definitions.",
    )
    parser.add_argument("--version", action="version", version=f"tally {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="check boards, analyses, SQL files and models")
    check.add_argument("paths", nargs="*", help="files or folders to check ('-' reads SQL from stdin); default: the whole project")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--output", "-o", type=Path, help="write the report to a file")
    check.add_argument("--select", help="comma-separated codes or families to run (overrides the configuration)")
    check.add_argument("--ignore", help="comma-separated codes or families to skip (added to the configuration)")
    check.add_argument("--no-models", action="store_true", help="do not check the project's own models")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.add_argument("--jobs", "-j", type=int, default=None,
                       help="worker processes for large projects (default: one per CPU, at most 8)")
    check.add_argument("--canonical-sql", action="store_true",
                       help="attach MetricFlow's SQL for each metric finding (slower; needs dbt-metricflow)")
    _common(check)

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rule = commands.add_parser("rule", help="explain one rule, with an example")
    rule.add_argument("code")

    lineage = commands.add_parser("lineage", help="column-level lineage of model.column or a metric")
    lineage.add_argument("target", help="model.column (e.g. fct_orders.gross_revenue_usd) or a metric name")
    lineage.add_argument("--direction", choices=("both", "up", "down"), default="both")
    lineage.add_argument("--format", choices=("text", "json"), default="text")
    _common(lineage)

    review = commands.add_parser("review", help="what a change does to the numbers: a pull-request report")
    review.add_argument("--base", metavar="REF", help="the git ref to compare with (branch, tag, commit)")
    review.add_argument("--base-state", metavar="DIR", type=Path,
                        help="a folder with the base's manifest.json (and semantic_manifest.json), instead of --base")
    review.add_argument("--base-database", metavar="FILE", type=Path,
                        help="with --base-state: the base's DuckDB warehouse (default: DIR/tally.duckdb)")
    review.add_argument("--format", choices=("markdown", "json"), default="markdown")
    review.add_argument("--output", "-o", type=Path, help="write the report to a file")
    review.add_argument("--json-output", type=Path, help="also write the JSON report to this file")
    review.add_argument("--scale", help="data scale of the review's builds (default: [tool.tally.review] scale)")
    review.add_argument("--no-build", action="store_true", help="skip the builds and the numbers")
    review.add_argument("--strategy", choices=("clone", "parallel"), default=None,
                        help="head from a copy of the base warehouse (clone, default) or built in full beside it")
    review.add_argument("--project-dir", type=Path, default=None, help="the dbt project (default: the current directory)")
    review.add_argument("--config", type=Path, default=None, help="a pyproject.toml to read [tool.tally] from")
    review.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            from tally.commands.check import run
        elif args.command == "rules":
            from tally.commands.rules import run_list as run
        elif args.command == "rule":
            from tally.commands.rules import run_one as run
        elif args.command == "lineage":
            from tally.commands.lineage import run
        elif args.command == "review":
            from tally.commands.review import run
        else:  # pragma: no cover - argparse rejects unknown commands
            parser.error(f"unknown command {args.command}")
        return run(args)
    except ToolError as exc:
        print(f"tally: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("tally: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `tally ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CLEAN
    except Exception as exc:  # never a bare traceback for the user
        if getattr(args, "debug", False) or os.environ.get("TALLY_DEBUG"):
            traceback.print_exc()
        print(f"tally: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
