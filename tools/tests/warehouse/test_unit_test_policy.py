"""When `make build` runs the dbt unit tests: always on a full refresh or changed code; an
incremental build with the published build's code skips them (warehouse.build.skips_unit_tests)."""

from __future__ import annotations

from pathlib import Path

from warehouse.build import BuildContext, skips_unit_tests
from warehouse.fingerprint import code_fingerprint


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
