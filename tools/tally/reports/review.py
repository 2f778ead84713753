"""`tally review` as a pull-request comment (Markdown) and as JSON. Reporters never analyse.

The comment leads with the verdict and one line of what matters, then the four parts in order:
what changed, breaking changes, the numbers, findings. Tables are short and sorted most
important first; the long lists (every month, every downstream node) fold into <details>.
"""

from __future__ import annotations

import json
from decimal import Decimal

from tally.findings import Severity
from tally.review.result import ReviewResult

MAX_ROWS = 12  # rows per table before "... and N more"
ICON = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def render_json(result: ReviewResult) -> str:
    return json.dumps(result.to_dict(), indent=2, default=str) + "\n"


def render_markdown(result: ReviewResult) -> str:
    lines: list[str] = []
    lines += _verdict(result)
    lines += _errors(result)
    lines += _what_changed(result)
    lines += _breaking(result)
    lines += _numbers(result)
    lines += _findings(result)
    lines += _footer(result)
    return "\n".join(lines).rstrip() + "\n"


# --- formatting --------------------------------------------------------------------------------------


def _cell(text) -> str:
    return str(text if text is not None else "—").replace("|", "\\|").replace("\n", " ")


def _code(text) -> str:
    return f"`{text}`" if text not in (None, "") else "—"


def number(value) -> str:
    """As many decimals as the value carries, at most four, with thousands separators.

    >>> number("1234.50"), number(12), number("0.123456789"), number(None)
    ('1,234.50', '12', '0.1235', '—')
    """
    if value is None:
        return "—"
    value = Decimal(str(value))
    places = min(max(-value.as_tuple().exponent, 0), 4) if value.is_finite() else 0
    return f"{value:,.{places}f}"


def signed(value) -> str:
    if value is None:
        return "—"
    text = number(value)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}%" if abs(value) >= 0.05 else f"{value:+.2f}%"


PLURALS = {"model": "models", "seed": "seeds", "snapshot": "snapshots", "source": "sources",
           "semantic_model": "semantic models", "metric": "metrics", "saved_query": "saved queries",
           "exposure": "exposures"}


def _count(n: int, kind: str) -> str:
    """3 'saved_query' -> '3 saved queries'; 1 -> '1 saved query'."""
    return f"{n} {kind.replace('_', ' ') if n == 1 else PLURALS.get(kind, kind + 's')}"


def _names(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(f"`{i}`" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _more(rows: list, limit: int = MAX_ROWS) -> tuple[list, str]:
    if len(rows) <= limit:
        return rows, ""
    return rows[:limit], f"\n_... and {len(rows) - limit} more (see the JSON report)._"


# --- sections ---------------------------------------------------------------------------------------


def _verdict(result: ReviewResult) -> list[str]:
    summary = result.summary()
    base = result.base
    against = f"`{base.get('ref')}` ({base['sha'][:10]})" if base.get("sha") else f"the state in `{base.get('state')}`"
    verdict = "fails" if result.exit_code else "passes"
    mark = "❌" if result.exit_code else "✅"
    reasons = []
    if result.errors:
        reasons.append(f"**head does not {'build' if any(e.stage == 'build' for e in result.errors) else 'parse'}**")
    if result.failing_breaking:
        reasons.append(f"**{_count(len(result.failing_breaking), 'breaking change')}**")
    if result.error_findings:
        reasons.append(f"**{_count(result.error_findings, 'new finding')} at error severity**")
    impact = {
        "moved": f"{_count(len(summary['metrics_moved']), 'metric')} moved: {_names(summary['metrics_moved'], 5)}",
        "none": "no metric impact",
        "unknown": "metric impact not measured" if not (result.numbers and result.numbers.skipped)
        else "numbers skipped",
    }[result.metric_impact]
    facts = [f"{_count(summary['changed_nodes'], 'node')} changed, {summary['downstream_nodes']} downstream", impact]
    if summary["marts_differing"]:
        facts.append(f"data differs in {_names(summary['marts_differing'], 4)}")
    lines = [f"## tally review {verdict} {mark}", ""]
    lines.append(f"Head against {against}" + (f": {'; '.join(reasons)}." if reasons else "."))
    lines.append("")
    lines.append(" · ".join(facts[:1] + [f"**{facts[1]}**"] + facts[2:]))
    lines.append("")
    return lines


def _errors(result: ReviewResult) -> list[str]:
    if not result.errors:
        return []
    lines = ["### Head does not build", "",
             "dbt could not " + ("parse the project" if result.errors[0].stage == "parse" else "build these models")
             + " in head, so the numbers below are missing or partial.", "",
             "| Stage | Node | dbt says |", "|---|---|---|"]
    for error in result.errors:
        lines.append(f"| {error.stage} | {_code(error.node)} | {_cell(error.message)} |")
    return lines + [""]


def _what_changed(result: ReviewResult) -> list[str]:
    changes = result.changes
    lines = ["### 1. What changed", ""]
    if changes is None:
        return lines + ["_Not compared: head did not parse._", ""]
    if not changes.nodes:
        return lines + ["No node changed (dbt's `state:modified` and tally's metric comparison agree).", ""]
    per_model = {}
    for column in changes.columns:
        per_model.setdefault(column.model, {}).setdefault(column.change, 0)
        per_model[column.model][column.change] += 1
    components = {}
    for component in changes.metric_components:
        components.setdefault(component.metric, []).append(component.component)
    rows, more = _more(changes.nodes)
    lines += ["| Node | Type | Change |", "|---|---|---|"]
    for node in rows:
        what = node.change
        if node.change == "renamed":
            what = f"renamed from `{node.renamed_from}`"
        detail = []
        if node.name in per_model and node.resource_type == "model":
            detail.append(", ".join(f"{_count(n, 'column')} {kind}" for kind, n in per_model[node.name].items()))
        elif node.resource_type == "model" and node.change in ("modified", "renamed"):
            detail.append({"same": "same SQL apart from comments and layout",
                           "changed": "same output columns, query changed"}.get(node.sql, "same output columns"))
        if node.name in components and node.resource_type == "metric":
            detail.append(", ".join(components[node.name]))
        if node.seen_by == "tally" and node.resource_type == "metric" and node.change != "removed":
            detail.append("seen by tally")
        text = what + (f": {'; '.join(detail)}" if detail else "")
        lines.append(f"| {_code(node.name)} | {node.resource_type.replace('_', ' ')} | {_cell(text)} |")
    lines.append(more) if more else None
    lines.append("")

    by_type: dict[str, list[str]] = {}
    for node in changes.downstream:
        by_type.setdefault(node.resource_type, []).append(node.name)
    parts = [_count(len(names), kind) for kind, names in by_type.items()]
    if changes.tiles:
        parts.append(_count(len(changes.tiles), "dashboard tile"))
    lines.append("Downstream: " + (", ".join(parts) if parts else "nothing") + ".")
    lines.append("")
    if changes.columns:
        lines += ["<details><summary>Columns (column-level lineage)</summary>", "",
                  "| Column | Change | Base | Head |", "|---|---|---|---|"]
        for column in changes.columns[:40]:
            what = f"renamed from `{column.renamed_from}`" if column.renamed_from else column.change
            lines.append(f"| {_code(column.label)} | {what} | {_code(column.base)} | {_code(column.head)} |")
        if changes.downstream_columns:
            lines += ["", "Columns downstream of these: " + _names(changes.downstream_columns, 20) + "."]
        lines += ["", "</details>", ""]
    if changes.downstream or changes.tiles:
        lines += ["<details><summary>Everything downstream</summary>", ""]
        for kind, names in by_type.items():
            lines.append(f"* {PLURALS.get(kind, kind)}: {_names(sorted(names), 40)}")
        if changes.tiles:
            lines.append(f"* dashboard tiles: {_names(changes.tiles, 40)}")
        lines += ["", "</details>", ""]
    return lines


def _breaking(result: ReviewResult) -> list[str]:
    lines = ["### 2. Breaking changes", ""]
    if result.changes is None:
        return lines + ["_Not compared: head did not parse._", ""]
    if not result.breaking:
        return lines + ["None: no public mart or metric definition changed in a way that breaks its readers.", ""]
    rows, more = _more(result.breaking)
    lines += ["| | Subject | Change | Base | Head |", "|---|---|---|---|---|"]
    for change in rows:
        mark = "❌" if change.fails else "versioned"
        lines.append(f"| {mark} | {_code(change.subject)} ({change.kind}) | {_cell(change.change)} | "
                     f"{_cell(change.base)} | {_cell(change.head)} |")
    if more:
        lines.append(more)
    if any(not c.fails for c in result.breaking):
        lines += ["", "_versioned_: head adds a new version of the mart, so its readers keep the old one."]
    if any(c.fails and c.kind == "mart" for c in result.breaking):
        lines += ["", "A breaking change to a public mart needs a new model version "
                      "(dbt `versions:`), so its readers can move when they are ready."]
    return lines + [""]


def _numbers(result: ReviewResult) -> list[str]:
    numbers = result.numbers
    lines = ["### 3. The numbers", ""]
    if numbers is None or numbers.skipped:
        reason = numbers.skipped if numbers else "not computed"
        return lines + [f"_Skipped: {reason}_", ""]
    if numbers.head_failed:
        return lines + ["_Not computed: head does not build (see above)._", ""]
    changes = result.changes
    scope = f"Scale {numbers.scale}, {numbers.grain} grain, MetricFlow's own answers on base and head."
    if changes is not None and not changes.impacted_metrics:
        lines += [f"**No metric impact**: no metric reads a changed model or column. {scope}", ""]
    else:
        moved = [m for m in numbers.metrics if m.moved]
        errors = [m for m in numbers.metrics if m.error]
        if not moved:
            lines += [f"**No metric impact**: {_count(len(numbers.metrics), 'impacted metric')} checked, "
                      f"none moved. {scope}", ""]
        else:
            lines += [scope, "", f"| Metric | {numbers.grain.capitalize()}s moved | Largest move | Base | Head | Change | % |",
                      "|---|---|---|---|---|---|---|"]
            rows, more = _more(moved)
            for metric in rows:
                top = metric.largest
                lines.append(f"| {metric.label} ({_code(metric.name)}) | {len(metric.moved_rows)} of {len(metric.rows)} | "
                             f"{_period(top['period'], numbers.grain)} | {number(top['base'])} | {number(top['head'])} | "
                             f"{signed(top['change'])} | {percent(top['change_pct'])} |")
            if more:
                lines.append(more)
            unchanged = [m.name for m in numbers.metrics if not m.moved and not m.error]
            if unchanged:
                lines += ["", f"Unchanged: {_names(unchanged, 12)}."]
            lines.append("")
            for metric in moved[:6]:
                lines += [f"<details><summary>{metric.label} by {numbers.grain}</summary>", "",
                          f"| {numbers.grain.capitalize()} | Base | Head | Change | % |", "|---|---|---|---|---|"]
                for row in metric.moved_rows[:36]:
                    lines.append(f"| {_period(row['period'], numbers.grain)} | {number(row['base'])} | "
                                 f"{number(row['head'])} | {signed(row['change'])} | {percent(row['change_pct'])} |")
                if len(metric.moved_rows) > 36:
                    lines.append(f"\n_... and {len(metric.moved_rows) - 36} more._")
                lines += ["", "</details>", ""]
        for metric in errors:
            lines.append(f"* `{metric.name}` could not be computed: {_cell(metric.error)}")
        if errors:
            lines.append("")
    if numbers.marts:
        lines += ["| Mart | Rows (base → head) | Added | Removed | Changed | Columns that changed |",
                  "|---|---|---|---|---|---|"]
        marts = sorted(numbers.marts, key=lambda m: (not m.differs, -(m.changed or 0) - (m.added or 0) - (m.removed or 0),
                                                     m.model))
        rows, more = _more(marts)
        for mart in rows:
            columns = ", ".join(f"{c} ({n:,})" for c, n in list(mart.changed_columns.items())[:4])
            extra = []
            if mart.columns_removed:
                extra.append("dropped: " + ", ".join(mart.columns_removed))
            if mart.columns_added:
                extra.append("new: " + ", ".join(mart.columns_added))
            if mart.note:
                extra.append(mart.note)
            detail = "; ".join(x for x in [columns, *extra] if x) or "—"
            lines.append(f"| {_code(mart.model)} | {number(mart.base_rows)} → {number(mart.head_rows)} | "
                         f"{number(mart.added)} | {number(mart.removed)} | {number(mart.changed)} | {_cell(detail)} |")
        if more:
            lines.append(more)
        lines.append("")
    builds = []
    for outcome in (numbers.base_build, numbers.head_build):
        if outcome is None:
            continue
        if outcome.cached:
            builds.append(f"{outcome.side}: cached")
        elif not outcome.built and outcome.note:
            builds.append(f"{outcome.side}: {outcome.note}")
        else:
            builds.append(f"{outcome.side}: {_count(outcome.built, 'node')} built in {outcome.seconds:.0f}s"
                          + (f" ({outcome.note})" if outcome.note else ""))
    if builds:
        lines += [f"<sub>Builds: {'; '.join(builds)}.</sub>", ""]
    return lines


def _period(period: str | None, grain: str) -> str:
    if period is None:
        return "all time"
    return period[:7] if grain == "month" else period


def _findings(result: ReviewResult) -> list[str]:
    findings = result.findings
    lines = ["### 4. Findings on the changed files", ""]
    if findings is None:
        return lines + ["_Not checked._", ""]
    everything = findings.all
    if not everything:
        lines.append(f"None: {_count(len(findings.files), 'changed file')} checked by {findings.rules_run} tally rules"
                     + (f", {_count(findings.sqlfluff_files, 'SQL file')} by sqlfluff." if findings.sqlfluff_files else "."))
        return lines + [""] + [f"_{n}_" for n in findings.notes] + ([""] if findings.notes else [])
    errors = sum(f.severity == Severity.ERROR for f in everything)
    old = len(findings.errors) - len(findings.failing)
    lines.append(f"**{_count(errors, 'error')}" + (f" ({old} already in base)" if old else "")
                 + f", {len(everything) - errors} other** in {_count(len(findings.files), 'changed file')}.")
    lines += ["", "| | Where | Rule | Finding |", "|---|---|---|---|"]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    everything.sort(key=lambda f: (order[f.severity], f.details.get("new") is False, f.sort_key()))
    rows, more = _more(everything, 15)
    for finding in rows:
        tool = "sqlfluff " if finding.details.get("tool") == "sqlfluff" else ""
        old = " _(already in base)_" if finding.details.get("new") is False else ""
        lines.append(f"| {ICON[finding.severity]} | `{finding.location}` | {tool}{finding.code} {finding.rule_name} | "
                     f"{_cell(finding.message)}{old} |")
    if more:
        lines.append(more)
    lines += [""] + [f"_{n}_" for n in findings.notes]
    return lines + [""]


def _footer(result: ReviewResult) -> list[str]:
    timings = result.timings
    total = timings.get("total")
    notes = [f"_{n}_" for n in result.notes]
    parts = [f"{k.replace('_', ' ')} {v:.0f}s" for k, v in timings.items() if k != "total" and v >= 0.5]
    footer = f"<sub>tally review in {total:.0f}s" + (f" ({', '.join(parts)})" if parts else "") + ".</sub>" \
        if total is not None else ""
    return notes + ([""] if notes else []) + ([footer] if footer else [])
