"""python -m warehouse <command>: the operations behind the Makefile targets."""

from __future__ import annotations

import argparse
import sys

from warehouse import build, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build, audit and publish the warehouse")
    build_cmd.add_argument("--full-refresh", action="store_true", help="rebuild every incremental model")
    commands.add_parser("summary", help="where everything is, after make build")
    commands.add_parser("status", help="the published build, its age and its tests")
    commands.add_parser("rollback", help="publish the previous build again")
    args = parser.parse_args(argv)

    if args.command == "build":
        return build.build(full_refresh=args.full_refresh)
    if args.command == "summary":
        return report.summary()
    if args.command == "status":
        return report.status()
    if args.command == "rollback":
        return report.rollback()
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
