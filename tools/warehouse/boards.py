"""The boards under charts/: render them to PNG, or serve them, on one warehouse file, read-only.

dct (dbt-charts) reads the warehouse through the dbt profile `tally` (dbt_charts.yml), whose
DuckDB path comes from TALLY_DUCKDB_PATH and whose read_only flag from TALLY_DUCKDB_READ_ONLY.
`dct_env` points both at the file to read, so a board can never write to, or lock, the
warehouse BI tools read.

One quirk of dct 0.10.0 shapes `dct_env`: it joins the profile's `path:` onto the dbt project
directory *before* rendering its env_var(), so an absolute TALLY_DUCKDB_PATH comes out as
`<project>//abs/path` and does not open. A path relative to the project root works, and any
file on the machine has one, so dct_env always passes the database relative to paths.ROOT.

    render_boards(paths.PUBLISHED, paths.BOARDS_DIR)   # build/boards/<board>.png, one per board
    serve(paths.PUBLISHED, 8484)                       # dct serve until interrupted
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from warehouse import paths

BIN = Path(sys.executable).parent
DCT = [str(BIN / "dct"), "--no-send-anonymous-usage-stats"]
DEFAULT_PORT = 8484


class BoardError(RuntimeError):
    """dct could not validate, render or serve a board; the message carries dct's own words."""


def board_files(charts_dir: Path = paths.CHARTS_DIR) -> list[Path]:
    """Every board: the YAML files under charts/, without dct's folder defaults (meta.yml)."""
    return sorted(
        path for path in charts_dir.rglob("*.yml")
        if path.name != "meta.yml" and not path.name.startswith("_")
    )


def dct_env(database: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment that points dct (through the dbt profile) at `database`, read-only."""
    return {
        **(os.environ if base is None else base),
        "TALLY_TARGET": "duckdb",
        "TALLY_DUCKDB_PATH": os.path.relpath(os.path.abspath(database), paths.ROOT),
        "TALLY_DUCKDB_READ_ONLY": "True",
        "DBT_PROFILES_DIR": str(paths.ROOT),
        "DBT_PROJECT_DIR": str(paths.ROOT),
        "DCT_PROJECT_DIR": str(paths.ROOT),
        "DCT_NO_WORKSPACE_GUARD": "1",
        "DO_NOT_TRACK": "1",
    }


def _require(database: Path) -> None:
    if not Path(database).exists():
        raise BoardError(f"no warehouse at {database}: run `make build` first (or pass another database)")


def _dct(args: list[str], env: dict[str, str], what: str, timeout: float | None = None) -> str:
    try:
        completed = subprocess.run(
            [*DCT, *args], cwd=paths.ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise BoardError(f"{what}: dct did not finish within {timeout:.0f} s") from exc
    if completed.returncode != 0:
        output = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-40:])
        raise BoardError(f"{what} failed (dct exit {completed.returncode}):\n{output}")
    return completed.stdout


def validate_boards(boards: list[Path] | None = None) -> None:
    """`dct validate` on every board (schema and cross-references; no database needed)."""
    boards = boards if boards is not None else board_files()
    _dct(["validate", *map(str, boards)], dct_env(paths.PUBLISHED), "dct validate")


def render_boards(
    database: Path = paths.PUBLISHED,
    out_dir: Path = paths.BOARDS_DIR,
    boards: list[Path] | None = None,
    fmt: str = "png",
    timeout: float | None = None,
) -> list[Path]:
    """Render every board from `database` (opened read-only) to `out_dir`/<board>.<fmt>.

    A chart that fails (a query error, a missing column) fails the render: dct exits non-zero
    and the BoardError carries its message. Returns the files written, in board order.
    """
    database = Path(database)
    _require(database)
    boards = boards if boards is not None else board_files()
    if not boards:
        raise BoardError(f"no boards under {paths.CHARTS_DIR}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _dct(
        ["render", *map(str, boards), "--format", fmt, "--output", str(out_dir / f"{{stem}}.{fmt}"),
         "--no-cache", "--no-warnings"],
        dct_env(database),
        f"dct render --format {fmt}",
        timeout=timeout,
    )
    written = [out_dir / f"{board.stem}.{fmt}" for board in boards]
    missing = [str(path) for path in written if not path.exists()]
    if missing:
        raise BoardError(f"dct render reported success but wrote no {', '.join(missing)}")
    return written


def serve_command(database: Path, port: int = DEFAULT_PORT, host: str = "localhost") -> tuple[list[str], dict[str, str]]:
    """The `dct serve` command line and environment for `database`, for callers that manage the process."""
    command = [*DCT, "serve", "--port", str(port), "--host", host, "--no-cache", "--project-dir", str(paths.ROOT)]
    return command, dct_env(Path(database))


def serve(database: Path = paths.PUBLISHED, port: int = DEFAULT_PORT, host: str = "localhost") -> int:
    """Serve the boards at http://<host>:<port>/<board>/ until interrupted; returns dct's exit code.

    Each query opens the database read-only for its own duration, so a newly published build
    shows on the next page load, and the server never blocks a build.
    """
    database = Path(database)
    _require(database)
    command, env = serve_command(database, port, host)
    print(f"Serving {len(board_files())} boards from {database}, read-only, on port {port} "
          f"(dct moves to the next free port if it is taken and prints the URL); Ctrl-C stops.", flush=True)
    try:
        return subprocess.run(command, cwd=paths.ROOT, env=env).returncode
    except KeyboardInterrupt:
        return 0


def board_queries(board: Path) -> dict[str, str]:
    """Every named SQL query of a board, with `{{ queries.X }}` expanded exactly as dct expands it.

    Inline chart queries are included under "<chart> (inline)". Boards here use no variables, so
    the expanded text is the SQL dct runs.
    """
    from dbt_charts.core.compile.template.jinja import expand_query_refs

    document = yaml.safe_load(Path(board).read_text(encoding="utf-8")) or {}
    queries: dict[str, dict] = {}
    for name, query in (document.get("queries") or {}).items():
        sql = query if isinstance(query, str) else (query or {}).get("sql")
        if isinstance(sql, str):
            queries[name] = {"sql": sql}
    for name, chart in (document.get("charts") or {}).items():
        query = (chart or {}).get("query") if isinstance(chart, dict) else None
        if isinstance(query, dict) and isinstance(query.get("sql"), str):
            queries[f"{name} (inline)"] = {"sql": query["sql"]}
        elif isinstance(query, str) and query not in queries and query.strip():
            queries[f"{name} (inline)"] = {"sql": query}
    return {name: expand_query_refs(name, queries) for name in queries}



def run(command, *args) -> int:
    """Run render_boards or serve for the command line: print what it wrote, or dct's error."""
    try:
        result = command(*args)
    except BoardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if isinstance(result, list):
        print("\n".join(str(path) for path in result))
        return 0
    return result
