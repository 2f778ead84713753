"""Benchmark of `tally review` for a one-model change, at SF0.1 and SF1, phase by phase.

    python -m warehouse.bench.review [--scales 0.1 1] [--runs clone_cold clone_warm parallel_cold]
                                     [--out build/bench/review.json]

The project as committed (HEAD, so work in progress in the checkout cannot break it) becomes a
git repository under build/bench/review/, committed as `main`; the change is one mart
(`fct_refunds` drops refunds under 10 USD: one model rebuilt, two metrics and a mart move). Each run is the real command line (`tally review --base
main --format json`), so the figures are what a reviewer waits for:

* clone_cold: no cached base. The base is built in full, then head is a copy of it with the
  changed model and its descendants rebuilt (the default strategy).
* clone_warm: the same review again: the base build is cached (per base commit and scale), as
  it is for every pull request against the same main.
* parallel_cold: the alternative: base and head each built in full, at the same time.

The raw data of each scale is generated once (the project's `prepare` hook) and reused; its
time is reported apart. Phases overlap (the base build runs beside state comparison, analysis
and findings), so they add up to more than the wall time. Figures are measured, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
WORK = ROOT / "build" / "bench" / "review"
OUT = ROOT / "build" / "bench" / "review.json"
RUNS = ("clone_cold", "clone_warm", "parallel_cold")
PHASES = ("worktree", "parse", "state", "analysis", "findings", "prepare", "base_build", "head_build",
          "metrics", "diffs", "report")
CHANGED_MODEL = "models/marts/finance/fct_refunds.sql"
CHANGE = ("    from refunds\n\n)", "    from refunds\n    where amount_usd >= 10\n\n)")
GIT = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@tally.invalid",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@tally.invalid"}
TARGET_SECONDS = 120  # at SF0.1 a reviewer has the report in under two minutes


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env={**os.environ, **GIT})
    if completed.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {completed.stderr}")
    return completed.stdout


def make_repository(scale: str, commit: str) -> Path:
    """build/bench/review/sf<scale>/project: the project as committed at `commit` (a snapshot
    that does not move while other work goes on in the checkout), as main, plus the change."""
    home = WORK / f"sf{scale}"
    project = home / "project"
    if project.exists():
        shutil.rmtree(project)
    project.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(project)], input=archive.stdout, check=True)
    git(project, "init", "--quiet", "--initial-branch", "main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", "bench base")
    # The raw data outlives the copy: generated once per scale under build/bench/review/.
    raw = home / f"raw-sf{scale}"
    link = project / "build" / "review" / f"raw-sf{scale}"
    link.parent.mkdir(parents=True, exist_ok=True)
    if raw.exists():
        link.symlink_to(raw, target_is_directory=True)
    model = project / CHANGED_MODEL
    text = model.read_text()
    if CHANGE[0] not in text:
        raise RuntimeError(f"{CHANGED_MODEL} changed shape: update CHANGE in {__file__}")
    model.write_text(text.replace(CHANGE[0], CHANGE[1], 1))
    return project


def prepare(project: Path, scale: str) -> float:
    """Generate the scale's raw data if the benchmark has none yet (the `prepare` hook)."""
    link = project / "build" / "review" / f"raw-sf{scale}"
    if link.exists():
        return 0.0
    started = time.perf_counter()
    completed = subprocess.run(
        [str(BIN / "tally-datagen"), "generate", "--scale", scale, "--seed", "42",
         "--out", str(WORK / f"sf{scale}" / f"raw-sf{scale}")], capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"tally-datagen failed: {completed.stderr[-2000:]}")
    link.symlink_to(WORK / f"sf{scale}" / f"raw-sf{scale}", target_is_directory=True)
    return time.perf_counter() - started


def review(project: Path, scale: str, strategy: str, cold: bool) -> dict:
    if cold:
        for cache in (project / "build" / "review").glob("base-*"):
            if cache.is_dir():
                shutil.rmtree(cache)
    out = project / "build" / "bench-review.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "TALLY_"))}
    command = [str(BIN / "tally"), "review", "--base", "main", "--scale", scale, "--strategy", strategy,
               "--format", "json", "--output", str(out)]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if not out.exists():
        raise RuntimeError(f"tally review failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")
    report = json.loads(out.read_text())
    numbers = report.get("numbers") or {}
    head = numbers.get("head_build") or {}
    base = numbers.get("base_build") or {}
    database = Path(numbers.get("base_database", ""))
    return {
        "strategy": strategy,
        "base_cached": not cold,
        "wall_seconds": round(wall, 1),
        "exit_code": completed.returncode,
        "phases": {phase: report["timings"].get(phase, 0.0) for phase in PHASES},
        "base_built_nodes": base.get("built"),
        "head_built_nodes": head.get("built"),
        "metrics_checked": len(numbers.get("metrics", [])),
        "metrics_moved": numbers.get("metrics_moved"),
        "marts": [{k: m[k] for k in ("model", "base_rows", "head_rows", "added", "removed", "changed")}
                  for m in numbers.get("marts", [])],
        "warehouse_mb": round(database.stat().st_size / 1e6, 1) if database.exists() else None,
    }


def bench_scale(scale: str, runs: list[str], commit: str) -> dict:
    project = make_repository(scale, commit)
    result = {"prepare_seconds": round(prepare(project, scale), 1), "runs": {}}
    for name in runs:
        strategy, state = name.split("_")
        print(f"  sf{scale} {name} ...", flush=True)
        result["runs"][name] = review(project, scale, strategy, cold=state == "cold")
    return result


def machine() -> dict:
    import duckdb

    try:
        from dbt.version import __version__ as dbt_version
    except ImportError:  # pragma: no cover
        dbt_version = None
    return {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "duckdb": duckdb.__version__, "dbt": dbt_version,
            "platform": platform.platform()}


def print_table(results: dict) -> None:
    columns = [(scale, name) for scale, data in results["scales"].items() for name in data["runs"]]
    header = "phase".ljust(12) + "".join(f"sf{s} {n}".rjust(20) for s, n in columns)
    print(header)
    print("-" * len(header))
    for phase in PHASES:
        row = phase.ljust(12)
        for scale, name in columns:
            row += f"{results['scales'][scale]['runs'][name]['phases'].get(phase, 0):20.1f}"
        print(row)
    row = "wall".ljust(12)
    for scale, name in columns:
        row += f"{results['scales'][scale]['runs'][name]['wall_seconds']:20.1f}"
    print(row)
    for scale, data in results["scales"].items():
        print(f"sf{scale}: raw data generated in {data['prepare_seconds']}s (once per scale, not in the figures above)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["0.1", "1"])
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    commit = git(ROOT, "rev-parse", "HEAD").strip()
    change = f"{CHANGED_MODEL}: {CHANGE[1].split(chr(10))[1].strip()}"
    results = {"benchmark": "tally review, one-model change", "scales": {}}
    if args.out.exists():  # a run of some scales keeps the figures of the others
        try:
            results["scales"] = json.loads(args.out.read_text()).get("scales", {})
        except ValueError:
            pass
    for scale in args.scales:
        entry = {"commit": commit, "change": change, "machine": machine()}
        entry.update(bench_scale(scale, args.runs, commit))
        earlier = results["scales"].get(scale, {}).get("prepare_seconds")
        if not entry["prepare_seconds"] and earlier:  # the data was cached: keep when it was made
            entry["prepare_seconds"] = earlier
        results["scales"][scale] = entry
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    small = results["scales"].get("0.1", {}).get("runs", {})
    if small:
        results["target"] = {
            "sf0.1_report_under_seconds": TARGET_SECONDS,
            "clone_warm_met": small.get("clone_warm", {}).get("wall_seconds", 1e9) < TARGET_SECONDS,
            "clone_cold_met": small.get("clone_cold", {}).get("wall_seconds", 1e9) < TARGET_SECONDS,
        }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
