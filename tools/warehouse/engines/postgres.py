"""PostgreSQL: the role, the database and the raw data, so `dbt build --target postgres` runs.

Connection settings come from the same environment variables as profiles.yml, with the same
local defaults (TALLY_PG_HOST=localhost, TALLY_PG_PORT=5432, TALLY_PG_USER=tally,
TALLY_PG_PASSWORD=tally, TALLY_PG_DBNAME=tally).

`bootstrap` creates what a fresh server lacks, once: the login role dbt builds as (it owns the
database and every schema in it) and `bi_reader`, the role BI tools log in as (password
TALLY_PG_READER_PASSWORD, `bi_reader` by default). Creating roles is administration of the
server, not of the project, so it happens here, as the `postgres` superuser through local peer
authentication (`runuser`/`sudo -u postgres psql`), and never again once they exist. What
bi_reader may read is the project's business: the grants are dbt configuration
(dbt_project.yml, marts only).

`load` COPYs every raw Parquet table into raw_<source>.<table>: DuckDB reads the files as the
DuckDB sources do and writes CSV, and psycopg2 streams it with COPY ... FROM STDIN.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.engines import raw_schema, raw_tables, read_parquet_sql

READER_ROLE = "bi_reader"

# DuckDB's type of a raw column -> PostgreSQL's.
PG_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "BOOLEAN": "boolean",
    "VARCHAR": "text",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "DOUBLE": "double precision",
    "FLOAT": "real",
}


@dataclass(frozen=True)
class Settings:
    host: str = "localhost"
    port: int = 5432
    user: str = "tally"
    password: str = "tally"
    dbname: str = "tally"
    reader_password: str = "bi_reader"

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        return cls(
            host=env.get("TALLY_PG_HOST", cls.host),
            port=int(env.get("TALLY_PG_PORT", cls.port)),
            user=env.get("TALLY_PG_USER", cls.user),
            password=env.get("TALLY_PG_PASSWORD", cls.password),
            dbname=env.get("TALLY_PG_DBNAME", cls.dbname),
            reader_password=env.get("TALLY_PG_READER_PASSWORD", cls.reader_password),
        )


def connect(settings: Settings, user: str | None = None, password: str | None = None):
    import psycopg2

    return psycopg2.connect(
        host=settings.host, port=settings.port, dbname=settings.dbname,
        user=user or settings.user, password=settings.password if password is None else password,
        connect_timeout=10,
    )


def _can_connect(settings: Settings, user: str, password: str) -> bool:
    import psycopg2

    try:
        connect(settings, user, password).close()
        return True
    except psycopg2.OperationalError:
        return False


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _superuser_psql() -> list[str]:
    """A psql command running as the local `postgres` superuser (peer authentication)."""
    psql = shutil.which("psql") or "psql"
    if os.geteuid() == 0 and shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", psql]
    if shutil.which("sudo"):
        return ["sudo", "-n", "-u", "postgres", psql]
    return [psql, "-U", "postgres"]


def _as_superuser(settings: Settings, sql: str, dbname: str = "postgres") -> str:
    command = [*_superuser_psql(), "-v", "ON_ERROR_STOP=1", "-X", "-q", "-At", "-p", str(settings.port),
               "-d", dbname, "-c", sql]
    if settings.host not in ("localhost", "127.0.0.1", "::1", ""):
        raise RuntimeError(
            f"cannot log in to {settings.host}:{settings.port} as {settings.user}, and roles are only "
            "created on a local server; create the roles on the server first (see the README)"
        )
    completed = subprocess.run(command, capture_output=True, text=True, cwd="/")
    if completed.returncode != 0:
        raise RuntimeError(f"psql as postgres failed: {completed.stderr.strip() or completed.stdout.strip()}")
    return completed.stdout.strip()


def bootstrap(settings: Settings) -> list[str]:
    """Create the build role, its database and bi_reader where they are missing; say what was done."""
    done: list[str] = []
    if not _can_connect(settings, settings.user, settings.password):
        role, password = _quote_ident(settings.user), _quote_literal(settings.password)
        exists = _as_superuser(settings, f"select 1 from pg_roles where rolname = {_quote_literal(settings.user)}")
        if exists:
            _as_superuser(settings, f"alter role {role} with login password {password}")
            done.append(f"set the password of role {settings.user}")
        else:
            _as_superuser(settings, f"create role {role} with login password {password}")
            done.append(f"created role {settings.user}")
        if not _as_superuser(settings, f"select 1 from pg_database where datname = {_quote_literal(settings.dbname)}"):
            _as_superuser(settings, f"create database {_quote_ident(settings.dbname)} owner {role}")
            done.append(f"created database {settings.dbname}")
        if not _can_connect(settings, settings.user, settings.password):
            raise RuntimeError(f"still cannot log in as {settings.user} to {settings.dbname} after creating them")
    if not _can_connect(settings, READER_ROLE, settings.reader_password):
        exists = _as_superuser(settings, f"select 1 from pg_roles where rolname = {_quote_literal(READER_ROLE)}")
        verb = "alter" if exists else "create"
        _as_superuser(settings, f"{verb} role {READER_ROLE} with login password {_quote_literal(settings.reader_password)}")
        done.append(f"{verb}d role {READER_ROLE}")
    return done


def load(raw_dir: Path, settings: Settings, echo=print) -> dict[str, int]:
    """Replace raw_<source>.<table> with the Parquet files' rows; {source.table: rows}."""
    loaded: dict[str, int] = {}
    tables = raw_tables(raw_dir)
    if not tables:
        raise RuntimeError(f"no raw Parquet data under {raw_dir} (make data)")
    duck = duckdb.connect()
    with connect(settings) as pg, tempfile.TemporaryDirectory(prefix="tally-pg-load-") as scratch:
        cursor = pg.cursor()
        for table in tables:
            start = time.perf_counter()
            source_sql = read_parquet_sql(table, raw_dir)
            columns = duck.execute(f"describe {source_sql}").fetchall()
            definition = ", ".join(f"{_quote_ident(name)} {PG_TYPES.get(kind, 'text')}" for name, kind, *_ in columns)
            schema, name = raw_schema(table), table.name
            target = f"{_quote_ident(schema)}.{_quote_ident(name)}"
            csv_path = Path(scratch) / f"{schema}.{name}.csv"
            duck.execute(f"copy ({source_sql}) to '{csv_path}' (format csv, header false)")
            cursor.execute(f"create schema if not exists {_quote_ident(schema)}")
            cursor.execute(f"drop table if exists {target} cascade")
            cursor.execute(f"create table {target} ({definition})")
            with csv_path.open() as stream:
                cursor.copy_expert(f"copy {target} from stdin with (format csv)", stream)
            csv_path.unlink()
            cursor.execute(f"analyze {target}")
            cursor.execute(f"select count(*) from {target}")
            loaded[table.qualified] = cursor.fetchone()[0]
            echo(f"  {schema + '.' + name:<28} {loaded[table.qualified]:>10,} rows  {time.perf_counter() - start:6.1f} s")
        pg.commit()
    duck.close()
    return loaded
