"""python -m warehouse <command>: the operations behind the Makefile targets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from warehouse import boards, build, paths, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warehouse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build, audit and publish the warehouse")
    build_cmd.add_argument("--full-refresh", action="store_true", help="rebuild every incremental model")
    build_cmd.add_argument("--skip", action="append", default=[], choices=["render-boards"],
                           help="skip an optional step (render-boards: no board images)")
    commands.add_parser("summary", help="where everything is, after make build")
    commands.add_parser("status", help="the published build, its age and its tests")
    commands.add_parser("rollback", help="publish the previous build again")
    render_cmd = commands.add_parser("render-boards", help="render every board in charts/ to PNG")
    render_cmd.add_argument("--database", type=Path, default=paths.PUBLISHED, help="warehouse to read (read-only)")
    render_cmd.add_argument("--out", type=Path, default=paths.BOARDS_DIR, help="folder for <board>.png")
    serve_cmd = commands.add_parser("serve", help="serve the boards with dct serve")
    serve_cmd.add_argument("--database", type=Path, default=paths.PUBLISHED, help="warehouse to read (read-only)")
    serve_cmd.add_argument("--port", type=int, default=boards.DEFAULT_PORT)
    for engine in ("postgres", "spark"):
        load_cmd = commands.add_parser(f"load-{engine}", help=f"load the raw Parquet data into {engine}")
        load_cmd.add_argument("--raw-dir", type=Path, default=paths.RAW_DIR, help="raw data to load")
    parity_cmd = commands.add_parser("parity", help="build on DuckDB, PostgreSQL and Spark; compare every number")
    parity_cmd.add_argument("--scale", default="0.01", help="raw-data scale built on every engine")
    parity_cmd.add_argument("--seed", type=int, default=42)
    parity_cmd.add_argument("--out", type=Path, default=paths.BUILD_DIR / "parity", help="data, builds and report")
    parity_cmd.add_argument("--engines", default="duckdb,postgres,spark", help="comma-separated; duckdb is the reference")
    parity_cmd.add_argument("--compare-only", action="store_true", help="compare the builds already in --out")
    args = parser.parse_args(argv)

    if args.command == "build":
        return build.build(full_refresh=args.full_refresh, skip={s.replace("-", " ") for s in args.skip})
    if args.command == "summary":
        return report.summary()
    if args.command == "status":
        return report.status()
    if args.command == "rollback":
        return report.rollback()
    if args.command == "render-boards":
        return boards.run(boards.render_boards, args.database, args.out)
    if args.command == "serve":
        return boards.run(boards.serve, args.database, args.port)
    if args.command in ("load-postgres", "load-spark"):
        from warehouse.engines import load

        return load.main(args.command.removeprefix("load-"), args.raw_dir)
    if args.command == "parity":
        from warehouse import parity

        return parity.main(args.scale, args.seed, args.out, args.engines.split(","), args.compare_only)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
