"""Base and head side by side: the base project materialised from git, both parsed by dbt.

Head is the project as it is on disk (the pull request's checkout). Base is a git ref, exported
with `git archive` into a cache folder keyed by commit and scale (nothing in the repository or
its checkout changes, and a shallow CI clone works as long as the ref was fetched), or a
folder holding a base manifest (`--base-state`). Each side gets its own dbt target path, logs
and DuckDB file, all named alike (DuckDB names the catalog after the file, and dbt's views
refer to it), so a copy of the base warehouse is a valid head warehouse:

    build/review/
      raw-sf0.1/                       the review's raw data, made once per scale (settings.prepare)
      base-<commit>-sf0.1/             one per base commit and scale, reused by later reviews
        project/  target/  state/  logs/  tally.duckdb
      head/                            head's side, reused by each review (partial parsing)
        target/  logs/  tally.duckdb
      sqlfluff/                        sqlfluff's dbt templater: its own target and scratch file
      runs/<id>/                       one per review: head's artifacts as the review read them
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tally.review.settings import ReviewSettings

BIN = Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d\s+")


class ReviewError(RuntimeError):
    """The review cannot run (a missing ref, a base that does not parse); the message says why."""


def executable(name: str) -> str:
    """A tool from tally's own environment first, then from PATH."""
    local = BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise ReviewError(f"{name} is not installed (needed by tally review)")
    return found


def clean_output(text: str) -> list[str]:
    """dbt's console output without colours and timestamps."""
    return [TIMESTAMP.sub("", ANSI.sub("", line)).rstrip() for line in text.splitlines()]


def dbt_error(text: str, limit: int = 12) -> str:
    """The part of dbt's output that says what went wrong."""
    lines = [line for line in clean_output(text) if line.strip()]
    for index, line in enumerate(lines):
        if re.search(r"(Error|error:|Compilation Error|Parsing Error|Runtime Error)", line):
            return "\n".join(lines[index:index + limit])
    return "\n".join(lines[-limit:])


@dataclass
class DbtRun:
    command: list[str]
    returncode: int
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def error(self) -> str:
        return dbt_error(self.output)


@dataclass
class Side:
    """One side of the review: a project, its target path, logs and DuckDB file."""

    name: str  # "base" or "head"
    project_dir: Path | None  # None when the base is only a manifest (--base-state)
    root: Path
    target_dir: Path
    database: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    def command(self, *args: str) -> list[str]:
        if self.project_dir is None:
            raise ReviewError(f"the {self.name} side has no project to run dbt in")
        return [executable("dbt"), *args, "--project-dir", str(self.project_dir),
                "--target-path", str(self.target_dir)]

    def dbt(self, *args: str) -> DbtRun:
        command = self.command(*args)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=self.project_dir, env=self.env, capture_output=True, text=True)
        output = completed.stdout + completed.stderr
        (self.log_dir / f"{args[0]}.out").write_text(output, encoding="utf-8")
        return DbtRun(command, completed.returncode, output, time.perf_counter() - started)


@dataclass
class Workspace:
    settings: ReviewSettings
    project_dir: Path  # the head project
    run_dir: Path
    head: Side
    base: Side
    base_label: str  # the ref as given, or the state folder
    base_sha: str | None
    state_dir: Path  # the base manifest dbt compares with (--state)
    changed_files: list[str] | None  # relative to the project; None when there is no git base
    cache_dir: Path | None = None  # the base cache folder (git bases)
    head_parse_error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def base_target(self) -> Path:
        return self.base.target_dir

    @property
    def base_is_git(self) -> bool:
        return self.base_sha is not None


# --- git ---------------------------------------------------------------------------------------


def git(cwd: Path, *args: str, binary: bool = False) -> str:
    try:
        completed = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=not binary)
    except FileNotFoundError:
        raise ReviewError("git is not installed; use --base-state DIR with a base manifest instead") from None
    if completed.returncode != 0:
        message = completed.stderr if isinstance(completed.stderr, str) else completed.stderr.decode(errors="replace")
        raise ReviewError(f"git {' '.join(args)} failed: {message.strip()}")
    return completed.stdout


def resolve_ref(project_dir: Path, ref: str) -> str:
    try:
        git(project_dir, "rev-parse", "--is-inside-work-tree")
    except ReviewError:
        raise ReviewError(f"{project_dir} is not in a git repository; use --base-state DIR with a base manifest") from None
    try:
        return git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except ReviewError:
        hint = " (in CI, fetch it first: actions/checkout with fetch-depth: 0)" if "/" in ref else ""
        raise ReviewError(f"base {ref!r} is not a commit, branch or tag of this repository{hint}") from None


def export_tree(project_dir: Path, sha: str, dest: Path) -> Path:
    """The project as it was at `sha`, written under `dest`; returns the project folder in it."""
    top = Path(git(project_dir, "rev-parse", "--show-toplevel").strip())
    prefix = git(project_dir, "rev-parse", "--show-prefix").strip()
    dest.mkdir(parents=True, exist_ok=True)
    command = ["git", "archive", "--format=tar", sha]
    if prefix:
        command += ["--", prefix]
    process = subprocess.Popen(command, cwd=top, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            archive.extractall(dest, filter="data")
    except tarfile.TarError as exc:
        raise ReviewError(f"git archive {sha[:12]} could not be read: {exc}") from None
    finally:
        stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
        process.wait()
    if process.returncode != 0:
        raise ReviewError(f"git archive {sha[:12]} failed: {stderr.strip()}")
    base_project = dest / prefix if prefix else dest
    if not (base_project / "dbt_project.yml").exists():
        raise ReviewError(f"the project has no dbt_project.yml at {sha[:12]}: was it added after the base?")
    return base_project


def changed_files(project_dir: Path, sha: str) -> list[str]:
    """Files of the project that differ from `sha` on disk (committed or not, and new files)."""
    diff = git(project_dir, "diff", "--name-only", "--no-renames", "--diff-filter=d", "--relative", sha, "--")
    untracked = git(project_dir, "ls-files", "--others", "--exclude-standard")
    return sorted({line.strip() for line in (diff + untracked).splitlines() if line.strip()})


# --- sides -------------------------------------------------------------------------------------


def side_env(settings: ReviewSettings, project_dir: Path | None, root: Path, target: Path,
             database: Path, head_project: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DBT_STATE", "DBT_DEFER"))}
    env.update({
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(root / "logs"),
    })
    if project_dir is not None:
        env["DBT_PROJECT_DIR"] = str(project_dir)
        inherited = os.environ.get("DBT_PROFILES_DIR")
        own_profiles = (project_dir / "profiles.yml").exists()
        if own_profiles and (inherited is None or Path(inherited).resolve() == head_project.resolve()):
            env["DBT_PROFILES_DIR"] = str(project_dir)  # each side reads its own profiles.yml
    env.update(settings.env_for(database, project_dir or head_project))
    return env


def _fingerprint(settings: ReviewSettings) -> str:
    """What a cached base build depends on besides the commit: the build environment and dbt."""
    try:
        from dbt.version import __version__ as dbt_version
    except ImportError:  # pragma: no cover - dbt is required to build
        dbt_version = "?"
    text = json.dumps([settings.build_env, settings.prepare, settings.raw_dir, settings.database,
                       settings.scale, dbt_version], sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


@contextmanager
def locked(path: Path):
    """An exclusive lock on a file, so two reviews do not build the same base at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def open_workspace(project_dir: Path, settings: ReviewSettings, base_ref: str | None = None,
                   base_state: Path | None = None, base_database: Path | None = None) -> Workspace:
    """Materialise the base and lay out both sides. Nothing is parsed or built yet."""
    if (base_ref is None) == (base_state is None):
        raise ReviewError("give exactly one of --base REF (a git ref) or --base-state DIR (a base manifest)")
    work = settings.work_path
    run_dir = work / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    _prune(work / "runs", settings.keep_runs, keep=run_dir)

    # Head keeps one place across reviews (the command holds head.lock while it runs): dbt's
    # partial parse only survives when the profile, and so the DuckDB path, stays the same.
    head_root = work / "head"
    head = Side("head", project_dir, head_root, head_root / "target", head_root / settings.database)
    head.env = side_env(settings, project_dir, head_root, head.target_dir, head.database, project_dir)

    if base_state is not None:
        state = base_state.resolve()
        if not (state / "manifest.json").exists():
            raise ReviewError(f"--base-state {base_state}: no manifest.json there (run `dbt parse` on the base)")
        database = base_database or (state / settings.database)
        base = Side("base", None, state, state, database)
        # No base commit to diff with: the changed files are those of the changed nodes.
        return Workspace(settings, project_dir, run_dir, head, base, str(base_state), None, state, None)

    sha = resolve_ref(project_dir, base_ref)
    cache = work / f"base-{sha[:12]}-sf{settings.scale}"
    started = time.perf_counter()
    with locked(work / f"{cache.name}.lock"):
        fingerprint = _fingerprint(settings)
        marker = cache / "export.json"
        if not marker.exists() or json.loads(marker.read_text()).get("fingerprint") != fingerprint:
            if cache.exists():
                shutil.rmtree(cache)
            project_copy = export_tree(project_dir, sha, cache / "export")
            marker.write_text(json.dumps({"sha": sha, "fingerprint": fingerprint,
                                          "project": str(project_copy.relative_to(cache))}))
        relative = json.loads(marker.read_text())["project"]
    os.utime(cache)  # most recently used
    _prune(work, settings.keep_bases, keep=cache, pattern="base-*")
    base_project = cache / relative
    base = Side("base", base_project, cache, cache / "target", cache / settings.database)
    base.env = side_env(settings, base_project, cache, base.target_dir, base.database, project_dir)
    ws = Workspace(settings, project_dir, run_dir, head, base, base_ref, sha, cache / "state",
                   changed_files(project_dir, sha), cache_dir=cache)
    ws.timings["worktree"] = time.perf_counter() - started
    return ws


def _prune(folder: Path, count: int, keep: Path, pattern: str = "*") -> None:
    """Keep the `count` most recent entries of a cache folder (never `keep`, never a locked base)."""
    if not folder.exists():
        return
    entries = sorted((p for p in folder.glob(pattern) if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[count:]:
        if old == keep:
            continue
        lock = old.parent / f"{old.name}.lock"
        if lock.exists():
            with open(lock, "a+") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # another review is using it
                shutil.rmtree(old, ignore_errors=True)
                fcntl.flock(handle, fcntl.LOCK_UN)
        else:
            shutil.rmtree(old, ignore_errors=True)


# --- parsing -----------------------------------------------------------------------------------


def _needs_deps(project_dir: Path) -> bool:
    has_packages = any((project_dir / name).exists() for name in ("packages.yml", "dependencies.yml"))
    return has_packages and not (project_dir / "dbt_packages").exists()


def parse(ws: Workspace) -> None:
    """`dbt parse` the base (unless cached), and head beside it.

    The base manifest is copied to the state folder, which `dbt ls` and `dbt build --state` read
    while the base build rewrites its own target. A base that does not parse is a ReviewError.
    When the base is cached, head is not parsed here: `dbt ls` (changes.state_modified) parses
    it and writes its manifest, one dbt start-up instead of two. A head that does not parse is
    the pull request's problem and is reported (ws.head_parse_error).
    """
    started = time.perf_counter()
    jobs = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        base_marker = ws.base.target_dir / "parsed.json"
        if ws.base_is_git and not (base_marker.exists() and (ws.state_dir / "manifest.json").exists()):
            jobs["base"] = pool.submit(_parse_base, ws)
            jobs["head"] = pool.submit(_parse_side, ws.head)
        results = {name: job.result() for name, job in jobs.items()}
    base_run = results.get("base")
    if base_run is not None and not base_run.ok:
        raise ReviewError(f"the base ({ws.base_label}) does not parse with dbt:\n{base_run.error}")
    if base_run is not None:
        ws.state_dir.mkdir(parents=True, exist_ok=True)
        for name in ("manifest.json", "semantic_manifest.json"):
            if (ws.base.target_dir / name).exists():
                shutil.copyfile(ws.base.target_dir / name, ws.state_dir / name)
        (ws.base.target_dir / "parsed.json").write_text(json.dumps({"seconds": base_run.seconds}))
    head_run = results.get("head")
    if head_run is not None and not head_run.ok:
        ws.head_parse_error = head_run.error
    ws.head.target_dir.mkdir(parents=True, exist_ok=True)
    ws.timings["parse"] = time.perf_counter() - started


def _parse_base(ws: Workspace) -> DbtRun:
    with locked(ws.settings.work_path / f"{ws.cache_dir.name}.lock"):
        if _needs_deps(ws.base.project_dir):
            deps = ws.base.dbt("deps")
            if not deps.ok:
                return deps
        return _parse_side(ws.base)


def _parse_side(side: Side) -> DbtRun:
    side.target_dir.mkdir(parents=True, exist_ok=True)
    side.database.parent.mkdir(parents=True, exist_ok=True)
    return side.dbt("parse")
