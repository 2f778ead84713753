"""The DuckDB settings of the profile's duckdb target, for connections the benchmarks open
beside dbt's (the raw replay, the from-staging board queries), so both sides plan and spill alike.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import jinja2
import yaml


def profile_settings(profiles: Path, output: str = "duckdb") -> dict[str, str]:
    """The DuckDB settings of an output in profiles.yml (`config_options:`, applied when the
    database opens, and `settings:`, applied to every cursor), rendered as dbt renders them (only
    `env_var()` is offered: a settings value has no business calling anything else)."""
    if not profiles.exists():
        return {}
    profile = next(iter((yaml.safe_load(profiles.read_text()) or {}).values()), {})
    target = (profile.get("outputs") or {}).get(output) or {}
    settings = {**(target.get("config_options") or {}), **(target.get("settings") or {})}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env_var = lambda name, default="": os.environ.get(name, default)  # noqa: E731
    return {name: env.from_string(str(value)).render(env_var=env_var) for name, value in settings.items()}


def apply_settings(con: duckdb.DuckDBPyConnection, settings: dict[str, str] | None) -> None:
    """SET each setting on a connection, as dbt-duckdb does on its own."""
    for name, value in (settings or {}).items():
        con.execute(f"set {name} = {_literal(value)}")


def _literal(value: str) -> str:
    if value.lower() in ("true", "false") or value.replace(".", "", 1).lstrip("-").isdigit():
        return value
    return "'" + value.replace("'", "''") + "'"
