"""Configuration from `[tool.tally]` in pyproject.toml.

    [tool.tally]
    select = ["ALL"]                  # codes or prefixes ("MC", "MD003")
    ignore = ["ST"]                   # never reported
    dialect = "duckdb"                # dialect dashboards and analyses are written in
    target_dialects = ["duckdb", "postgres", "spark"]
    dashboards = ["charts/**/*.yml"]  # dbt-charts boards
    sql_paths = []                    # more plain .sql files to check
    allowed_relations = []            # relations dashboards may read besides public marts

    [tool.tally.severity]             # raise or lower a rule or family
    MD005 = "warning"

    [tool.tally.layers.staging]       # how to tell a model's layer, by name prefix or folder
    prefixes = ["stg_"]
    folders = ["staging"]

    [tool.tally.thresholds]
    max_joins = 7

    [[tool.tally.exceptions.MD005]]   # a rule may skip a node, with a written reason
    node = "int_calendar_days_spined"
    reason = "the calendar is generated, not read from a source"

A rule cannot be both ignored and given a severity, and every exception needs a reason.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tally.findings import Severity


class ConfigError(ValueError):
    """The configuration is invalid; the message says where and why."""


DEFAULT_LAYERS = {
    "staging": {"prefixes": ["stg_"], "folders": ["staging"]},
    "intermediate": {"prefixes": ["int_"], "folders": ["intermediate"]},
    "marts": {"prefixes": ["fct_", "dim_"], "folders": ["marts"]},
}

DEFAULT_THRESHOLDS = {
    "max_joins": 7,  # MD too many joins
    "max_chained_views": 4,  # MD chained views
    "max_source_fanout": 1,  # a source feeds at most one staging model
}

KNOWN_KEYS = {
    "select", "ignore", "severity", "dialect", "target_dialects", "dashboards", "sql_paths",
    "allowed_relations", "layers", "thresholds", "exceptions", "check_models", "pii_meta_keys",
    "masking_functions", "portable_functions", "review",
}


@dataclass(frozen=True)
class Layer:
    name: str
    prefixes: tuple[str, ...]
    folders: tuple[str, ...]


@dataclass
class Config:
    project_dir: Path
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    dialect: str | None = None  # None: the manifest's adapter type
    target_dialects: list[str] = field(default_factory=lambda: ["duckdb", "postgres", "spark"])
    dashboards: list[str] = field(default_factory=lambda: ["charts/**/*.yml", "charts/**/*.yaml"])
    sql_paths: list[str] = field(default_factory=list)
    allowed_relations: list[str] = field(default_factory=list)
    layers: dict[str, Layer] = field(default_factory=dict)
    thresholds: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    exceptions: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> node -> reason
    check_models: bool = True
    pii_meta_keys: list[str] = field(default_factory=lambda: ["pii", "contains_pii", "sensitive"])
    masking_functions: list[str] = field(
        default_factory=lambda: ["md5", "sha1", "sha2", "sha256", "sha512", "hash", "mask", "redact"]
    )
    # Functions sqlglot does not know but that exist on every target engine (UDFs).
    portable_functions: list[str] = field(default_factory=list)
    # [tool.tally.review]: how `tally review` builds the project (read by tally.review.settings).
    review: dict = field(default_factory=dict)
    source_file: Path | None = None

    def __post_init__(self) -> None:
        if not self.layers:
            self.layers = _layers(DEFAULT_LAYERS)

    # --- rule selection -------------------------------------------------------------------

    def is_enabled(self, code: str) -> bool:
        selected = any(_matches(code, pattern) for pattern in self.select)
        return selected and not any(_matches(code, pattern) for pattern in self.ignore)

    def severity_for(self, code: str, default: Severity) -> Severity:
        """The most specific severity override wins (MD005 over MD over ALL)."""
        best: tuple[int, Severity] | None = None
        for pattern, severity in self.severity.items():
            if _matches(code, pattern):
                rank = len(pattern) if pattern != "ALL" else 0
                if best is None or rank > best[0]:
                    best = (rank, severity)
        return best[1] if best else default

    def exception_reason(self, code: str, node_name: str) -> str | None:
        return self.exceptions.get(code, {}).get(node_name)

    def validate_codes(self, known: set[str]) -> None:
        """Every code or prefix named must exist, and no rule may be ignored and raised."""
        prefixes = {code[:2] for code in known}
        for where, patterns in (("select", self.select), ("ignore", self.ignore),
                                ("severity", list(self.severity)), ("exceptions", list(self.exceptions))):
            for pattern in patterns:
                if pattern != "ALL" and pattern not in known and pattern not in prefixes:
                    raise ConfigError(f"[tool.tally] {where}: unknown rule code or family {pattern!r}")
        for code in sorted(known):
            ignored = [p for p in self.ignore if _matches(code, p)]
            raised = [p for p in self.severity if _matches(code, p)]
            if ignored and raised:
                raise ConfigError(
                    f"[tool.tally] rule {code} is both ignored (ignore: {ignored[0]!r}) and given a "
                    f"severity (severity.{raised[0]}); remove one of them"
                )
        for pattern in self.select:
            if pattern in self.ignore:
                raise ConfigError(f"[tool.tally] {pattern!r} is both selected and ignored")


def _matches(code: str, pattern: str) -> bool:
    return pattern == "ALL" or code == pattern or (len(pattern) < len(code) and code.startswith(pattern))


def _layers(raw: dict) -> dict[str, Layer]:
    layers = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"[tool.tally.layers.{name}] must be a table with prefixes and folders")
        unknown = set(spec) - {"prefixes", "folders"}
        if unknown:
            raise ConfigError(f"[tool.tally.layers.{name}] unknown key(s): {', '.join(sorted(unknown))}")
        for key in ("prefixes", "folders"):
            if not isinstance(spec.get(key, []), list) or not all(isinstance(v, str) for v in spec.get(key, [])):
                raise ConfigError(f"[tool.tally.layers.{name}] {key} must be a list of strings")
        layers[name] = Layer(name, tuple(spec.get("prefixes", [])), tuple(spec.get("folders", [])))
    return layers


def _table(raw: dict, key: str) -> dict:
    """raw[key], which must be a TOML table when given: `severity = "error"` is a mistake."""
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[tool.tally.{key}] must be a table, not {type(value).__name__} {value!r}")
    return value


def find_pyproject(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.exists():
            return candidate
    return None


def load(project_dir: Path, config_file: Path | None = None) -> Config:
    """Read [tool.tally] from the project's pyproject.toml (or the given file); defaults if none."""
    path = config_file or find_pyproject(project_dir)
    if path is None:
        return Config(project_dir=project_dir)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    tool = data.get("tool", {})
    raw = tool.get("tally", {}) if isinstance(tool, dict) else None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [tool.tally] must be a table")
    return from_dict(raw, project_dir, source_file=path)


def from_dict(raw: dict, project_dir: Path, source_file: Path | None = None) -> Config:
    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"[tool.tally] unknown key(s): {', '.join(sorted(unknown))}")
    config = Config(project_dir=project_dir, source_file=source_file)
    for key in ("select", "ignore", "target_dialects", "dashboards", "sql_paths", "allowed_relations",
                "pii_meta_keys", "masking_functions", "portable_functions"):
        if key in raw:
            value = raw[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"[tool.tally] {key} must be a list of strings")
            setattr(config, key, list(value))
    if "dialect" in raw:
        config.dialect = str(raw["dialect"])
    if "check_models" in raw:
        config.check_models = bool(raw["check_models"])
    if "review" in raw:
        if not isinstance(raw["review"], dict):
            raise ConfigError("[tool.tally.review] must be a table")
        config.review = dict(raw["review"])
    for code, value in _table(raw, "severity").items():
        try:
            config.severity[code] = Severity.parse(str(value))
        except ValueError as exc:
            raise ConfigError(f"[tool.tally.severity] {code}: {exc}") from None
    if "layers" in raw:
        config.layers = _layers({**DEFAULT_LAYERS, **_table(raw, "layers")})
    for key, value in _table(raw, "thresholds").items():
        if key not in DEFAULT_THRESHOLDS:
            raise ConfigError(f"[tool.tally.thresholds] unknown threshold {key!r}")
        if not isinstance(value, int) or value < 0:
            raise ConfigError(f"[tool.tally.thresholds] {key} must be a non-negative integer")
        config.thresholds[key] = value
    for code, entries in _table(raw, "exceptions").items():
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise ConfigError(f"[tool.tally.exceptions] {code} must be a list of {{node, reason}} tables")
        for entry in entries:
            node, reason = entry.get("node"), str(entry.get("reason", "")).strip()
            if not node:
                raise ConfigError(f"[tool.tally.exceptions] {code}: every exception names a node")
            if not reason:
                raise ConfigError(f"[tool.tally.exceptions] {code} for {node}: an exception needs a written reason")
            config.exceptions.setdefault(code, {})[node] = reason
    return config


def matches_any(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, pattern) for pattern in patterns)
