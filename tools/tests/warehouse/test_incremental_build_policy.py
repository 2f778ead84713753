"""What an incremental `make build` leaves out of `dbt build` when the published build it starts
from had the same code: the unit tests (warehouse.build.skips_unit_tests), and the views and
seeds when the raw data folder is the same too and they are all in the copy
(warehouse.build.keeps_views_and_seeds). A full refresh or changed code runs everything."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from warehouse.build import (BuildContext, incremental_build_args, keeps_views_and_seeds, skips_unit_tests,
                             views_and_seeds)
from warehouse.fingerprint import code_fingerprint, relations_fingerprint


def _project(root: Path) -> Path:
    (root / "models" / "staging").mkdir(parents=True)
    (root / "macros").mkdir()
    (root / "dbt_project.yml").write_text("name: p\n")
    (root / "models" / "staging" / "stg_a.sql").write_text("select 1 as a\n")
    (root / "macros" / "m.sql").write_text("{% macro m() %}1{% endmacro %}\n")
    (root / "README.md").write_text("not code\n")
    return root


def test_the_fingerprint_moves_with_the_code_only(tmp_path):
    root = _project(tmp_path)
    before = code_fingerprint(root)
    assert code_fingerprint(root) == before
    (root / "README.md").write_text("prose changed\n")
    assert code_fingerprint(root) == before
    (root / "macros" / "m.sql").write_text("{% macro m() %}2{% endmacro %}\n")
    changed_macro = code_fingerprint(root)
    assert changed_macro != before
    (root / "models" / "staging" / "stg_a.sql").rename(root / "models" / "staging" / "stg_b.sql")
    assert code_fingerprint(root) != changed_macro, "a renamed model kept the fingerprint"


def _context(full_refresh: bool, fingerprint: str, previous: dict) -> BuildContext:
    return BuildContext("B2", Path("unused"), full_refresh=full_refresh,
                        record={"code_fingerprint": fingerprint}, previous=previous)


def test_unit_tests_are_skipped_only_on_unchanged_code_incrementally():
    passed = {"build_id": "B1", "code_fingerprint": "abc", "unit_tests_passed_in": "B1"}
    assert skips_unit_tests(_context(False, "abc", passed))
    assert not skips_unit_tests(_context(False, "abd", passed)), "changed code must run the unit tests"
    assert not skips_unit_tests(_context(True, "abc", passed)), "a full refresh must run the unit tests"
    assert not skips_unit_tests(_context(False, "abc", {})), "a first build must run the unit tests"
    # A build published before the fingerprint was recorded says nothing about its unit tests.
    assert not skips_unit_tests(_context(False, "abc", {"build_id": "B0", "code_fingerprint": "abc"}))


def test_the_relations_fingerprint_moves_with_the_raw_folder(tmp_path):
    assert relations_fingerprint("abc", tmp_path / "raw") == relations_fingerprint("abc", tmp_path / "raw")
    assert relations_fingerprint("abc", tmp_path / "raw") != relations_fingerprint("abc", tmp_path / "other")
    assert relations_fingerprint("abc", tmp_path / "raw") != relations_fingerprint("abd", tmp_path / "raw")


def _copy_with(path: Path, views: list[str], tables: list[str]) -> Path:
    with duckdb.connect(str(path)) as con:
        for relation in views + tables:
            con.execute(f"create schema if not exists {relation.split('.')[0]}")
        for relation in views:
            con.execute(f"create view {relation} as select 1 as a")
        for relation in tables:
            con.execute(f"create table {relation} as select 1 as a")
    return path


def _keeps(private: Path, full_refresh: bool, fingerprint: str, previous: dict) -> tuple[bool, str]:
    context = BuildContext("B2", private, full_refresh=full_refresh,
                           record={"relations_fingerprint": fingerprint}, previous=previous)
    return keeps_views_and_seeds(context)


def test_views_and_seeds_are_kept_only_when_unchanged_and_all_there(tmp_path):
    private = _copy_with(tmp_path / "copy.duckdb", ["staging.stg_a"], ["reference.countries"])
    published = {"build_id": "B1", "relations_fingerprint": "abc", "views_and_seeds_from": "B1",
                 "views_and_seeds": ["reference.countries", "staging.stg_a"]}
    assert _keeps(private, False, "abc", published) == (True, "")
    assert _keeps(private, True, "abc", published) == (False, ""), "a full refresh must create them"
    assert _keeps(private, False, "abc", {}) == (False, ""), "a first build must create them"
    keep, why = _keeps(private, False, "abd", published)
    assert not keep and "changed" in why, "changed code or raw folder must create them again"
    keep, why = _keeps(private, False, "abc", {**published, "views_and_seeds": [*published["views_and_seeds"],
                                                                                  "staging.stg_b"]})
    assert not keep and "staging.stg_b" in why, "a view missing from the copy must be created again"
    # A build published before this was recorded says nothing about its views.
    assert _keeps(private, False, "abc", {"build_id": "B0", "relations_fingerprint": "abc"}) == (False, "")
    # Nor does one that listed none: there is nothing to check the copy against.
    assert _keeps(private, False, "abc", {**published, "views_and_seeds": []}) == (False, "")


def test_an_unreadable_copy_keeps_nothing(tmp_path):
    broken = tmp_path / "copy.duckdb"
    broken.write_text("not a database")
    published = {"relations_fingerprint": "abc", "views_and_seeds_from": "B1", "views_and_seeds": ["staging.stg_a"]}
    keep, why = _keeps(broken, False, "abc", published)
    assert not keep and "staging.stg_a" in why


def test_views_and_seeds_are_read_from_the_manifest(tmp_path):
    manifest = tmp_path / "manifest.json"
    nodes = {
        "model.p.stg_a": {"resource_type": "model", "schema": "staging", "alias": "stg_a",
                          "config": {"materialized": "view"}},
        "model.p.fct_b": {"resource_type": "model", "schema": "marts", "alias": "fct_b",
                          "config": {"materialized": "incremental"}},
        "seed.p.countries": {"resource_type": "seed", "schema": "reference", "alias": "countries",
                             "config": {"materialized": "seed"}},
        "test.p.unique_x": {"resource_type": "test", "schema": "dbt_test__audit", "alias": "unique_x",
                            "config": {"materialized": "test"}},
    }
    manifest.write_text(json.dumps({"nodes": nodes}))
    assert views_and_seeds(manifest) == ["reference.countries", "staging.stg_a"]
    assert views_and_seeds(tmp_path / "absent.json") == []


def test_the_incremental_selection_keeps_the_data_tests_of_kept_views():
    assert incremental_build_args(False, False) == []
    assert incremental_build_args(True, False) == ["--exclude", "resource_type:unit_test"]
    args = incremental_build_args(True, True)
    assert args[:4] == ["--exclude", "resource_type:unit_test", "config.materialized:view", "resource_type:seed"]
    # without it, dbt leaves out every data test of an excluded view (eager indirect selection)
    assert args[-2:] == ["--indirect-selection", "empty"]
