"""Access control on PostgreSQL: bi_reader reads the marts and nothing below them.

The grants are dbt configuration (`+grants` on the marts folder and the on-run-end hook that
grants USAGE on the marts schema, in dbt_project.yml); the role is created by the load step.
The parity run (conftest.py) built the project on PostgreSQL; these tests log in as bi_reader.
"""

from __future__ import annotations

import dataclasses
import json

import psycopg2
import pytest
from psycopg2 import errors

from warehouse.engines import postgres

BELOW_THE_MARTS = [
    "raw_shop.orders",
    "raw_payments.payments",
    "staging.stg_shop__orders",
    "staging.stg_shop__customers",
    "intermediate.int_orders_validated",
    "reference.fx_rates",
]


@pytest.fixture()
def as_bi_reader(parity_run):
    settings = dataclasses.replace(postgres.Settings.from_env(), dbname=parity_run.database)
    connection = postgres.connect(settings, user=postgres.READER_ROLE, password=settings.reader_password)
    connection.autocommit = True
    yield connection
    connection.close()


def _marts(parity_run) -> list[str]:
    manifest = json.loads((parity_run.out / "postgres" / "target" / "manifest.json").read_text())
    return sorted(
        f"{node['schema']}.{node['alias']}" for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )


def test_bi_reader_reads_every_mart(parity_run, as_bi_reader):
    marts = _marts(parity_run)
    assert len(marts) >= 13
    with as_bi_reader.cursor() as cursor:
        for mart in marts:
            cursor.execute(f"select count(*) from {mart}")
            assert cursor.fetchone()[0] > 0, mart


@pytest.mark.parametrize("relation", BELOW_THE_MARTS)
def test_bi_reader_is_denied_below_the_marts(as_bi_reader, relation):
    with as_bi_reader.cursor() as cursor, pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
        cursor.execute(f"select count(*) from {relation}")


def test_the_grants_are_dbt_configuration(parity_run):
    manifest = json.loads((parity_run.out / "postgres" / "target" / "manifest.json").read_text())
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        expected = {"select": ["bi_reader"]} if node["fqn"][1] == "marts" else {}
        assert node["config"]["grants"] == expected, node["unique_id"]


def test_bi_reader_cannot_write_the_marts(as_bi_reader):
    with as_bi_reader.cursor() as cursor, pytest.raises(psycopg2.Error, match="permission denied"):
        cursor.execute("delete from marts.fct_orders")
