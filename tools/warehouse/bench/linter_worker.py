"""The in-process halves of the linter benchmark, each run in a fresh interpreter.

    python -m warehouse.bench.linter_worker floor  <project> <out.json>
    python -m warehouse.bench.linter_worker engine <project> <out.json> [--profile <prefix>]

`floor` is bare sqlglot: parse and qualify every SQL text tally checks (the models' compiled SQL
and the board queries), against the same columns, in one process. `engine` is tally's own
pipeline called as `tally check` calls it, with a stopwatch on each phase, each analysis step
and each rule. Both write wall and CPU seconds as JSON; neither asserts anything.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

START = (time.perf_counter(), time.process_time())


class Stopwatch:
    """Accumulated wall and CPU seconds (and calls) per name."""

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = {}
        self.wall_only: set[str] = set()

    def add(self, name: str, wall: float, cpu: float) -> None:
        entry = self.totals.setdefault(name, [0.0, 0.0, 0])
        entry[0] += wall
        entry[1] += cpu
        entry[2] += 1

    @contextmanager
    def time(self, name: str):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - wall, time.process_time() - cpu)

    def wrap(self, name: str, function, cpu: bool = True):
        """`function` timed under `name`. Reading the CPU clock is a system call (about 2 us);
        for functions called 100,000 times (query rules) only the wall clock is read."""
        if not cpu:
            self.wall_only.add(name)

            def timed(*args, **kwargs):
                wall = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.add(name, time.perf_counter() - wall, 0.0)
        else:
            def timed(*args, **kwargs):
                wall, cpu_start = time.perf_counter(), time.process_time()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.add(name, time.perf_counter() - wall, time.process_time() - cpu_start)

        timed.__name__ = getattr(function, "__name__", name)
        timed.__wrapped__ = function
        return timed

    def report(self) -> dict[str, dict]:
        return {name: {"wall_s": round(w, 3), "cpu_s": None if name in self.wall_only else round(c, 3), "calls": n}
                for name, (w, c, n) in self.totals.items()}


def _since(wall: float, cpu: float) -> dict:
    return {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3)}


# --- bare sqlglot ---------------------------------------------------------------------------------


def sql_texts(project: Path) -> list[tuple[str, str]]:
    """(name, SQL) of every unit: each model's compiled SQL, then each board query."""
    manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    texts = [(uid, node.get("compiled_code") or "") for uid, node in sorted(manifest["nodes"].items())
             if node.get("resource_type") == "model"]
    texts += [(path.name, path.read_text(encoding="utf-8"))
              for path in sorted((project / "extracted" / "dashboards").glob("*.sql"))]
    return texts


def floor(project: Path) -> dict:
    """Bare sqlglot, with the garbage-collector settings `tally check` runs with (if any), so
    the comparison is of the work done, not of the interpreter's settings."""
    wall, cpu = time.perf_counter(), time.process_time()
    _match_tally_gc()
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ErrorLevel
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.schema import MappingSchema

    imports = _since(wall, cpu)
    watch = Stopwatch()
    with watch.time("read"):
        texts = sql_texts(project)
        tables = json.loads((project / "extracted" / "schema.json").read_text(encoding="utf-8"))
    run_wall, run_cpu = time.perf_counter(), time.process_time()
    with watch.time("schema"):
        schema = MappingSchema(dialect="duckdb", normalize=False)
        for name, columns in tables.items():
            catalog, db, table = name.split(".")
            schema.add_table(exp.table_(table, db=db, catalog=catalog), columns, dialect="duckdb")
    errors = {"parse": 0, "qualify": 0}
    for _, sql in texts:
        with watch.time("parse"):
            try:
                statements = [s for s in sqlglot.parse(sql, dialect="duckdb", error_level=ErrorLevel.RAISE) if s]
            except Exception:
                errors["parse"] += 1
                continue
        queries = [s for s in statements if isinstance(s, exp.Query)]
        if not queries:
            continue
        with watch.time("qualify"):
            try:
                qualify(queries[-1], schema=schema, dialect="duckdb", validate_qualify_columns=False,
                        quote_identifiers=False, identify=False)
            except Exception:
                errors["qualify"] += 1
    steps = watch.report()
    total = _since(run_wall, run_cpu)
    return {
        "units": len(texts),
        **total,
        "files_per_s": round(len(texts) / total["wall_s"], 1) if total["wall_s"] else None,
        "imports": imports,
        "steps": steps,
        "errors": errors,
        "gc": _gc_settings(),
        "process": _since(*START),
    }


# --- tally in process -----------------------------------------------------------------------------


def engine(project: Path, profile: str | None = None) -> dict:
    """`tally check` on the whole project, run as the CLI runs it, minus interpreter start-up."""
    wall, cpu = time.perf_counter(), time.process_time()
    from tally import engine as tally_engine
    from tally.cli import build_parser
    from tally.commands import check as command

    imports = _since(wall, cpu)
    watch = Stopwatch()
    _instrument(tally_engine, watch)
    for name, label in (("load_context", "configuration and artifacts"),
                        ("build_shared", "build shared analysis (models, lineage, semantic layer)"),
                        ("collect", "collect units (boards, models)"), ("check", "check (board analyses + rules)")):
        setattr(command, name, watch.wrap(f"phase: {label}", getattr(command, name)))
    enabled_rules = command.enabled_rules

    def instrumented_rules(config):
        rules = enabled_rules(config)
        for rule in rules:
            _instrument_rule(rule, watch)
        return rules

    command.enabled_rules = instrumented_rules
    build_shared = command.build_shared

    def instrumented_shared(*args, **kwargs):
        shared = build_shared(*args, **kwargs)
        _instrument_shared(shared, watch)
        return shared

    command.build_shared = instrumented_shared
    get_report = command.reports.get
    command.reports.get = lambda name: watch.wrap("phase: report", get_report(name))
    findings = project / "target" / "bench-engine-findings.json"
    args = build_parser().parse_args(["check", "--project-dir", str(project), "--no-parse", "--format", "json",
                                      "--output", str(findings), "--color", "never"])
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    run_wall, run_cpu = time.perf_counter(), time.process_time()
    exit_code = command.run(args)
    total = _since(run_wall, run_cpu)
    if profiler is not None:
        profiler.disable()
        _write_profile(profiler, profile)
    report = json.loads(findings.read_text(encoding="utf-8"))
    timings = watch.report()
    units = report["summary"]["units_checked"]
    return {
        "units": units,
        **total,
        "files_per_s": round(units / total["wall_s"], 1) if total["wall_s"] else None,
        "exit_code": exit_code,
        "findings": report["summary"]["findings"],
        "rules_run": report["summary"]["rules_run"],
        "imports": imports,
        "phases": {k.removeprefix("phase: "): v for k, v in timings.items() if k.startswith("phase: ")},
        "steps": {k.removeprefix("step: "): v for k, v in timings.items() if k.startswith("step: ")},
        "parts": {k.removeprefix("part: "): v for k, v in timings.items() if k.startswith("part: ")},
        "rules": dict(sorted(((k.removeprefix("rule: "), v) for k, v in timings.items() if k.startswith("rule: ")),
                             key=lambda kv: -kv[1]["wall_s"])),
        "gc": _gc_settings(),
        "profiled": profile is not None,
        "process": _since(*START),
    }


def _match_tally_gc() -> None:
    import gc

    try:
        from tally.commands.check import GC_THRESHOLDS
    except ImportError:
        return
    gc.set_threshold(*GC_THRESHOLDS)


def _gc_settings() -> dict:
    import gc

    return {"thresholds": list(gc.get_threshold()), "collections": [s["collections"] for s in gc.get_stats()]}


def _instrument(tally_engine, watch: Stopwatch) -> None:
    """Stopwatches around the engine's analysis steps and the parts build_shared assembles."""
    if hasattr(tally_engine, "STEPS"):
        tally_engine.STEPS = tuple(watch.wrap(f"step: {step.__name__}", step) for step in tally_engine.STEPS)
    for name, label in (("Project", "project index"), ("ProjectSchema", "schema"), ("node_unit", "model units"),
                        ("ProjectLineage", "lineage"), ("SemanticLayer", "semantic layer"), ("Comparer", "comparer")):
        if hasattr(tally_engine, name):
            setattr(tally_engine, name, watch.wrap(f"part: {label}", getattr(tally_engine, name)))


def _instrument_shared(shared, watch: Stopwatch) -> None:
    comparer = getattr(shared, "comparer", None)
    if comparer is not None and hasattr(comparer, "compare_query"):
        comparer.compare_query = watch.wrap("part: metric comparisons (lazy, inside MC rules)", comparer.compare_query)


def _instrument_rule(rule, watch: Stopwatch) -> None:
    """Time the rule's check for its scope; a query rule is called once per unit, so wall only."""
    label = f"rule: {rule.code} {getattr(rule, 'name', '')}".rstrip()
    scope = getattr(getattr(rule, "scope", None), "value", "query")
    method = {"project": "check_project", "collection": "check_collection"}.get(scope, "check_query")
    bound = getattr(rule, method)
    setattr(rule, method, watch.wrap(label, lambda *a, _f=bound, **k: list(_f(*a, **k)), cpu=method != "check_query"))


def _write_profile(profiler, prefix: str) -> None:
    import io
    import pstats

    Path(prefix).parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(prefix + ".prof")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(80)
    stats.sort_stats("tottime").print_stats(50)
    Path(prefix + ".txt").write_text(out.getvalue(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    kind, project, out = args[0], Path(args[1]), Path(args[2])
    profile = args[args.index("--profile") + 1] if "--profile" in args else None
    result = floor(project) if kind == "floor" else engine(project, profile)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
