"""Command line: ``tally-datagen generate | append | seeds``.

Usage errors exit with status 2 and a one-line message; a refusal to touch existing data
(non-empty output, batch already appended) exits with status 1. Neither prints a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from datagen import __version__
from datagen.defects import CLASSES, DefectConfig
from datagen.plan import MAX_SCALE, MIN_SCALE


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (MIN_SCALE <= value <= MAX_SCALE):
        raise argparse.ArgumentTypeError(f"must be between {MIN_SCALE} and {MAX_SCALE:g}, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 0.2:
        raise argparse.ArgumentTypeError(f"must be in (0, 0.2], got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally-datagen", description="Generate Larkspur Goods' raw data as Parquet.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def performance(p):
        p.add_argument("--workers", type=_positive_int, default=min(2, os.cpu_count() or 1),
                       help="worker processes (default: up to 2); never changes the data")
        p.add_argument("--blocks-per-file", type=_positive_int, default=8,
                       help="order blocks (16,384 orders each) per Parquet file; changes the file layout, not the rows")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    g = sub.add_parser("generate", help="write the base data set")
    g.add_argument("--scale", type=_scale, default=0.1, help="1 = ~100k customers, ~1M orders (default 0.1)")
    g.add_argument("--seed", type=_non_negative_int, default=42)
    g.add_argument("--out", default="data/raw", help="output directory (default data/raw)")
    g.add_argument("--force", action="store_true", help="replace previously generated data in --out")
    g.add_argument("--defects", metavar="CLASSES",
                   help=f"inject defects: 'all' or a comma list of {', '.join(CLASSES)}")
    g.add_argument("--defect-rate", type=_rate, default=0.01, help="share of rows per class and table (default 0.01)")
    performance(g)

    a = sub.add_parser("append", help="append an incremental batch (~1%% of the base volume) as new files")
    a.add_argument("--out", default="data/raw")
    a.add_argument("--batch", type=_positive_int, required=True, help="batch number: 1 for the first append, then 2, ...")
    performance(a)

    s = sub.add_parser("seeds", help="write the dbt seed CSVs")
    s.add_argument("--out", default="seeds")
    return parser


def main(argv: list[str] | None = None) -> int:
    from datagen.run import UsageError  # deferred: keeps --help fast

    parser = build_parser()
    args = parser.parse_args(argv)
    echo = lambda line: print(line, flush=True)  # noqa: E731
    try:
        if args.command == "generate":
            from datagen.commands import generate

            try:
                defects = DefectConfig.parse(args.defects, args.defect_rate)
            except ValueError as exc:
                parser.error(str(exc))
            generate(args.out, args.seed, args.scale, force=args.force, defects=defects, workers=args.workers,
                     blocks_per_file=args.blocks_per_file, progress=not args.no_progress, echo=echo)
        elif args.command == "append":
            from datagen.commands import append

            append(args.out, args.batch, workers=args.workers, blocks_per_file=args.blocks_per_file,
                   progress=not args.no_progress, echo=echo)
        else:
            from datagen.commands import write_seeds

            write_seeds(args.out, echo=echo)
    except UsageError as exc:
        print(f"tally-datagen: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tally-datagen: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
