"""Run the benchmarks one after another: `python -m warehouse.bench [all|linter|warehouse|publish|review|uniqueness]`.

`make bench` runs them all, at the scales each one documents (SF1 and SF10 for the warehouse;
several hours on two cores). Each writes its JSON under build/bench/ and prints its table; run
one alone, with its own options, as `python -m warehouse.bench.<name> --help` describes.
"""

from __future__ import annotations

import sys
import time
from importlib import import_module

BENCHMARKS = {  # name: (module, what it measures)
    "linter": ("warehouse.bench.linter", "tally check against sqlfluff and bare sqlglot, 2,000 models"),
    "warehouse": ("warehouse.bench.build", "generate, dbt build vs raw DuckDB, incremental, memory, boards"),
    "publish": ("warehouse.bench.publish", "write-audit-publish: build, publish, reads during a rebuild"),
    "review": ("warehouse.bench.review", "tally review of a one-model change, cold and cached"),
    "uniqueness": ("warehouse.bench.repeated_values", "uniqueness tests grouped vs sorted, on the built warehouse"),
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in {"all", *BENCHMARKS}:
        print(__doc__.strip(), file=sys.stderr)
        for name, (module, what) in BENCHMARKS.items():
            print(f"  {name:10} {what}  ({module})", file=sys.stderr)
        return 2
    names = list(BENCHMARKS) if args[0] == "all" else args
    failed = []
    for name in names:
        module, what = BENCHMARKS[name]
        print(f"=== {name}: {what}", flush=True)
        started = time.monotonic()
        code = import_module(module).main([]) or 0
        print(f"=== {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
