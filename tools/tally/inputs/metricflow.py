"""MetricFlow's own SQL for a metric (`mf query --explain`), without a database.

Optional: when dbt-metricflow is not installed, or the semantic manifest does not load,
`canonical_sql` returns None and findings carry the `mf query` command alone.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

ENGINES = {"duckdb": "DUCKDB", "postgres": "POSTGRES", "snowflake": "SNOWFLAKE", "bigquery": "BIGQUERY",
           "redshift": "REDSHIFT", "databricks": "DATABRICKS", "spark": "DATABRICKS", "trino": "TRINO"}


class _OfflineClient:
    """Enough of MetricFlow's SqlClient to render SQL; it never connects."""

    def __init__(self, engine, renderer) -> None:
        self.sql_engine_type = engine
        self.sql_plan_renderer = renderer

    def query(self, *args, **kwargs):
        raise RuntimeError("offline client")

    execute = dry_run = query

    def close(self) -> None:
        pass

    def render_bind_parameter_key(self, key: str) -> str:
        return f"${key}"


class CanonicalSql:
    def __init__(self, semantic_manifest_path: Path, dialect: str) -> None:
        self.path = semantic_manifest_path
        self.dialect = dialect
        self._engine = None
        self._failed = False

    def _load(self):
        if self._engine is not None or self._failed:
            return self._engine
        try:
            logging.getLogger("metricflow").setLevel(logging.ERROR)
            logging.getLogger("metricflow_semantics").setLevel(logging.ERROR)
            from metricflow.engine.metricflow_engine import MetricFlowEngine
            from metricflow.protocols.sql_client import SqlEngine
            from metricflow.sql.render.sql_plan_renderer import DefaultSqlPlanRenderer
            from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
            from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

            engine_type = getattr(SqlEngine, ENGINES.get(self.dialect, "DUCKDB"))
            renderer = _renderer_for(self.dialect) or DefaultSqlPlanRenderer()
            manifest = parse_manifest_from_dbt_generated_manifest(self.path.read_text(encoding="utf-8"))
            self._engine = MetricFlowEngine(SemanticManifestLookup(manifest), _OfflineClient(engine_type, renderer))
        except Exception:
            self._failed = True
        return self._engine

    @lru_cache(maxsize=256)
    def sql(self, metric: str, grain: str | None) -> str | None:
        engine = self._load()
        if engine is None:
            return None
        try:
            from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

            request = MetricFlowQueryRequest.create(
                metric_names=[metric], group_by_names=[f"metric_time__{grain}"] if grain else None
            )
            return engine.explain(mf_request=request).sql_statement.without_descriptions.sql
        except Exception:
            return None


    @lru_cache(maxsize=64)
    def saved_query_sql(self, name: str) -> str | None:
        """MetricFlow's SQL for a saved query (`mf query --saved-query NAME --explain`)."""
        engine = self._load()
        if engine is None:
            return None
        try:
            from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

            request = MetricFlowQueryRequest.create(saved_query_name=name)
            return engine.explain(mf_request=request).sql_statement.without_descriptions.sql
        except Exception:
            return None


def _renderer_for(dialect: str):
    try:
        if dialect == "duckdb":
            from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

            return DuckDbSqlPlanRenderer()
        if dialect == "postgres":
            from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer

            return PostgresSQLSqlPlanRenderer()
        if dialect in ("databricks", "spark"):  # Databricks SQL is Spark SQL
            from metricflow.sql.render.databricks import DatabricksSqlPlanRenderer

            return DatabricksSqlPlanRenderer()
    except ImportError:
        return None
    return None
