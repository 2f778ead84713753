"""How `tally review` builds a project, from `[tool.tally.review]` in pyproject.toml.

tally review works on any dbt project: it knows nothing of this project's data or profile. The
project says where the review's raw data comes from and how dbt is pointed at a DuckDB file:

    [tool.tally.review]
    scale = "0.1"                                   # default for --scale, passed to `prepare`
    raw_dir = "build/review/raw-sf{scale}"          # made once per scale by `prepare`, then reused
    prepare = "tally-datagen generate --scale {scale} --seed 42 --out {raw_dir}"
    build_env = { TALLY_RAW_DIR = "{raw_dir}", TALLY_DUCKDB_PATH = "{database}" }

Placeholders: {scale}, {raw_dir}, {database} (the side's DuckDB file), {project_dir} (the side's
project) and {work_dir}. Relative paths are relative to the project. Without `{database}` in
build_env tally review cannot give base and head their own warehouse, so it skips the numbers
and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tally.config import Config, ConfigError

STRATEGIES = ("clone", "parallel")


@dataclass
class ReviewSettings:
    project_dir: Path
    scale: str = "0.1"
    work_dir: str = "build/review"
    raw_dir: str | None = None
    prepare: str | None = None
    build_env: dict[str, str] = field(default_factory=dict)
    database: str = "tally.duckdb"  # DuckDB names the catalog after the file: same name on both sides
    grain: str = "month"
    strategy: str = "clone"  # clone: base copied, only modified+ rebuilt; parallel: two full builds
    keep_runs: int = 3
    keep_bases: int = 2
    sqlfluff: bool = True
    sqlfluff_severity: str = "warning"
    # Columns that differ between any two builds by design (a build's own timestamp): not
    # compared when the marts of base and head are diffed.
    ignore_columns: list[str] = field(default_factory=list)

    KEYS = ("scale", "work_dir", "raw_dir", "prepare", "build_env", "database", "grain", "strategy",
            "keep_runs", "keep_bases", "sqlfluff", "sqlfluff_severity", "ignore_columns")

    @classmethod
    def from_config(cls, config: Config, scale: str | None = None, strategy: str | None = None) -> "ReviewSettings":
        raw = dict(config.review or {})
        unknown = set(raw) - set(cls.KEYS)
        if unknown:
            raise ConfigError(f"[tool.tally.review] unknown key(s): {', '.join(sorted(unknown))}")
        settings = cls(project_dir=config.project_dir)
        for key in ("scale", "work_dir", "raw_dir", "prepare", "database", "grain", "strategy", "sqlfluff_severity"):
            if key in raw:
                if not isinstance(raw[key], (str, int, float)) or isinstance(raw[key], bool):
                    raise ConfigError(f"[tool.tally.review] {key} must be a string")
                setattr(settings, key, str(raw[key]))
        for key in ("keep_runs", "keep_bases"):
            if key in raw:
                if not isinstance(raw[key], int) or raw[key] < 1:
                    raise ConfigError(f"[tool.tally.review] {key} must be a positive integer")
                setattr(settings, key, raw[key])
        if "sqlfluff" in raw:
            settings.sqlfluff = bool(raw["sqlfluff"])
        ignored = raw.get("ignore_columns", [])
        if not isinstance(ignored, list) or not all(isinstance(c, str) for c in ignored):
            raise ConfigError("[tool.tally.review] ignore_columns must be a list of column names")
        settings.ignore_columns = [c.lower() for c in ignored]
        env = raw.get("build_env", {})
        if not isinstance(env, dict) or not all(isinstance(v, (str, int, float)) for v in env.values()):
            raise ConfigError("[tool.tally.review] build_env must be a table of strings")
        settings.build_env = {str(k): str(v) for k, v in env.items()}
        if scale is not None:
            settings.scale = str(scale)
        if strategy is not None:
            settings.strategy = strategy
        settings.scale = normalise_scale(settings.scale)
        if settings.strategy not in STRATEGIES:
            raise ConfigError(f"[tool.tally.review] strategy must be one of {', '.join(STRATEGIES)}")
        if settings.grain not in ("day", "week", "month", "quarter", "year"):
            raise ConfigError("[tool.tally.review] grain must be day, week, month, quarter or year")
        if settings.sqlfluff_severity not in ("error", "warning", "info"):
            raise ConfigError("[tool.tally.review] sqlfluff_severity must be error, warning or info")
        if "/" in settings.database or not settings.database:
            raise ConfigError("[tool.tally.review] database is a file name (e.g. tally.duckdb), not a path")
        return settings

    # --- paths ---------------------------------------------------------------------------

    def path(self, text: str) -> Path:
        path = Path(text)
        return path if path.is_absolute() else (self.project_dir / path)

    @property
    def work_path(self) -> Path:
        return self.path(self.expand(self.work_dir, with_raw=False))

    @property
    def raw_path(self) -> Path | None:
        if not self.raw_dir:
            return None
        return self.path(self.expand(self.raw_dir, with_raw=False, work_dir=str(self.work_path)))

    @property
    def can_build(self) -> bool:
        return "{database}" in "".join(self.build_env.values())

    def expand(self, template: str, with_raw: bool = True, **values: str) -> str:
        known = {"scale": self.scale, "project_dir": str(self.project_dir), **values}
        if with_raw:
            known["raw_dir"] = str(self.raw_path) if self.raw_path else ""
            known["work_dir"] = str(self.work_path)
        try:
            return template.format_map(known)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"[tool.tally.review] {template!r}: unknown placeholder {exc}") from None

    def env_for(self, database: Path, project_dir: Path) -> dict[str, str]:
        """build_env with the placeholders filled in for one side."""
        return {key: self.expand(value, database=str(database), project_dir=str(project_dir))
                for key, value in self.build_env.items()}


def normalise_scale(scale: str) -> str:
    """'0.10' -> '0.1', '1.0' -> '1': one cache folder per scale, however it was written."""
    try:
        value = float(scale)
    except ValueError:
        raise ConfigError(f"scale must be a number, not {scale!r}") from None
    if value <= 0:
        raise ConfigError(f"scale must be positive, not {scale!r}")
    return format(value, "g")
