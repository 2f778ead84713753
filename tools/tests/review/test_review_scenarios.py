"""`tally review` scenarios over a temporary git repository of the project (see conftest.py).

Each scenario makes one change a pull request could make and checks the JSON report: what
changed, what breaks, what the numbers do, and the exit code.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb

SEMANTIC_FINANCE = "models/marts/finance/_finance__semantic.yml"
NET_REVENUE_INPUTS = """      expr: gross_revenue - refunds
      metrics:
        - name: gross_revenue
        - name: refunds
"""
US_ONLY = """    filter: |
      {{ Dimension('order__shipping_country_code') }} = 'US'
"""

def _where(metric: dict, alias: str) -> str:
    """A metric's where filter as SQL on its mart (`{{ Dimension('x__col') }}` -> alias.col)."""
    parts = [w["where_sql_template"] for w in ((metric.get("filter") or {}).get("where_filters") or [])]
    text = " and ".join(f"({p.strip()})" for p in parts) or "true"
    return re.sub(r"\{\{\s*Dimension\('\w+__(\w+)'\)\s*\}\}", rf"{alias}.\1", text)


def expected_net_revenue(database: str, semantic_manifest: dict, us_only: bool) -> dict[str, Decimal]:
    """net_revenue by month computed by hand on the marts: gross revenue of the month's orders
    minus refunds issued in the month, each with its metric's filters (read from the semantic
    manifest), and with `us_only` both restricted to orders shipping to the US."""
    metrics = {m["name"]: m for m in semantic_manifest["metrics"]}
    country = "and o.shipping_country_code = 'US'" if us_only else ""
    sql = f"""
        with gross as (
            select date_trunc('month', o.order_date) as month, sum(o.gross_revenue_usd) as amount
            from marts.fct_orders as o
            where {_where(metrics['gross_revenue'], 'o')} {country}
            group by 1
        ),
        refunds as (
            select date_trunc('month', r.refund_date) as month, sum(r.amount_usd) as amount
            from marts.fct_refunds as r
            left join marts.fct_orders as o on r.order_id = o.order_id
            where {_where(metrics['refunds'], 'r')} {country}
            group by 1
        )
        select coalesce(gross.month, refunds.month) as month,
               coalesce(gross.amount, 0) - coalesce(refunds.amount, 0) as net_revenue
        from gross full outer join refunds on gross.month = refunds.month
    """
    with duckdb.connect(database, read_only=True) as connection:
        return {str(month)[:10]: Decimal(str(value)) for month, value in connection.sql(sql).fetchall()}


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def test_changing_net_revenue_filter_moves_the_metric_by_the_right_amounts(repo):
    repo.edit(SEMANTIC_FINANCE, NET_REVENUE_INPUTS, NET_REVENUE_INPUTS + US_ONLY)

    review = repo.review()

    report = review.report
    assert report is not None, review.stderr
    nodes = {(n["name"], n["change"]) for n in report["changes"]["nodes"]}
    assert ("net_revenue", "modified") in nodes
    assert {"metric": "net_revenue", "component": "filter", "base": "(none)",
            "head": "shipping_country_code = 'US'"} in report["changes"]["metric_components"]
    assert any(b["subject"] == "net_revenue" and b["change"] == "filter changed" for b in report["breaking"])
    assert report["summary"]["metric_impact"] == "moved"
    assert report["summary"]["metrics_moved"] == ["net_revenue"]

    metric = review.metric("net_revenue")
    numbers = report["numbers"]
    base_manifest = json.loads(Path(report["base"]["state"], "semantic_manifest.json").read_text())
    base_expected = expected_net_revenue(numbers["base_database"], base_manifest, us_only=False)
    head_expected = expected_net_revenue(numbers["head_database"], base_manifest, us_only=True)
    rows = {row["period"]: row for row in metric["rows"]}
    assert set(rows) == set(base_expected) | set(head_expected)
    for period, row in rows.items():
        base, head = base_expected.get(period), head_expected.get(period)
        assert _decimal(row["base"]) == base, f"{period}: base {row['base']} != {base}"
        assert _decimal(row["head"]) == head, f"{period}: head {row['head']} != {head}"
        if base is not None and head is not None:
            assert Decimal(row["change"]) == head - base
    assert metric["months_moved"] == sum(1 for p in rows if base_expected.get(p) != head_expected.get(p)) > 0
    assert "Net revenue" in review.markdown and "filter changed" in review.markdown
    assert review.exit_code == 1  # a changed metric definition is a breaking change


def test_dropping_a_column_from_a_public_mart_is_breaking_and_fails(repo):
    repo.drop_lines("models/marts/sales/fct_orders.sql", r"\bas shipping_fee_usd,")
    repo.drop_yaml_item("models/marts/sales/_sales__models.yml", "shipping_fee_usd")

    review = repo.review("--no-build")

    report = review.report
    assert report is not None, review.stderr
    assert review.exit_code == 1
    assert report["status"] == "fail"
    breaking = [b for b in report["breaking"] if b["subject"] == "fct_orders"]
    assert breaking and breaking[0]["change"] == "column removed" and breaking[0]["fails"]
    assert breaking[0]["base"].startswith("shipping_fee_usd")
    assert {"model": "fct_orders", "column": "shipping_fee_usd", "change": "removed"}.items() <= \
        next(c for c in report["changes"]["columns"] if c["column"] == "shipping_fee_usd").items()
    assert report["numbers"]["skipped"] == "--no-build was given"
    assert "column removed" in review.markdown and "❌" in review.markdown


def test_renaming_a_model_is_reported_as_a_rename(repo):
    old, new = "int_sessions_pivoted_to_funnel_steps", "int_web_sessions_pivoted_to_funnel_steps"
    repo.move(f"models/intermediate/web/{old}.sql", f"models/intermediate/web/{new}.sql")
    assert repo.replace_everywhere(old, new) >= 2  # its YAML, fct_sessions' ref (and unit tests)

    review = repo.review("--no-build")

    report = review.report
    assert report is not None, review.stderr
    renamed = [n for n in report["changes"]["nodes"] if n["change"] == "renamed"]
    assert [(n["name"], n["renamed_from"]) for n in renamed] == [(new, old)]
    assert not any(n["change"] == "removed" for n in report["changes"]["nodes"])
    # fct_sessions only follows the new name: none of its columns changes, nothing breaks
    assert not [c for c in report["changes"]["columns"] if c["model"] == "fct_sessions"]
    assert report["breaking"] == []
    assert f"renamed from `{old}`" in review.markdown


def test_an_edit_that_changes_no_numbers_has_no_metric_impact(repo):
    path = "models/marts/finance/fct_refunds.sql"
    repo.file(path).write_text("-- Refunds at refund grain (comment added in review).\n" + repo.file(path).read_text())

    review = repo.review()

    report = review.report
    assert report is not None, review.stderr
    assert [(n["name"], n["sql"]) for n in report["changes"]["nodes"]] == [("fct_refunds", "same")]
    assert report["changes"]["columns"] == []  # column lineage: nothing changed
    numbers = report["numbers"]
    assert numbers["head_build"]["ok"] and numbers["head_build"]["built"] >= 1
    checked = {m["name"] for m in numbers["metrics"]}
    assert {"refunds", "net_revenue"} <= checked  # dbt's graph says they read fct_refunds
    assert not any(m["moved"] for m in numbers["metrics"])
    assert report["summary"]["metric_impact"] == "none"
    mart = next(m for m in numbers["marts"] if m["model"] == "fct_refunds")
    assert (mart["added"], mart["removed"], mart["changed"]) == (0, 0, 0) and mart["base_rows"] == mart["head_rows"]
    assert report["breaking"] == []
    assert "No metric impact" in review.markdown


def test_a_model_that_fails_to_build_in_head_is_a_clear_error(repo):
    repo.edit("models/marts/finance/fct_refunds.sql", "select * from final", "select * from final where no_such_column > 0")
    repo.edit("pyproject.toml", "sqlfluff = false", "sqlfluff = true")  # this scenario also runs sqlfluff

    review = repo.review()

    assert review.exit_code == 1
    assert "Traceback" not in review.stderr
    report = review.report
    assert report is not None, review.stderr
    errors = report["errors"]
    assert errors and errors[0]["stage"] == "build" and errors[0]["node"] == "fct_refunds"
    assert "no_such_column" in errors[0]["message"]
    assert report["numbers"]["metrics"] == []
    assert report["summary"]["metric_impact"] == "unknown"
    assert "Head does not build" in review.markdown and "no_such_column" in review.markdown
    assert report["findings"]["sqlfluff_files"] == 1


def test_a_missing_base_ref_is_a_clear_error(repo):
    review = repo.review("--no-build", base="no-such-branch")

    assert review.exit_code == 2
    assert "'no-such-branch' is not a commit, branch or tag" in review.stderr
    assert "Traceback" not in review.stderr and review.report is None
