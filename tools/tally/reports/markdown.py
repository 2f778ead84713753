"""Markdown for a pull-request comment: a short table, most severe first, details folded."""

from __future__ import annotations

from tally.engine import CheckResult
from tally.findings import Severity

ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
ICONS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(result: CheckResult, heading: str = "tally check", **_: object) -> str:
    errors = sum(f.severity == Severity.ERROR for f in result.findings)
    warnings = sum(f.severity == Severity.WARNING for f in result.findings)
    lines = [f"### {heading}", ""]
    if not result.findings:
        lines.append(f"No findings: {result.units_checked} queries and models checked by {result.rules_run} rules.")
        return "\n".join(lines) + "\n"
    lines.append(f"**{errors} error(s), {warnings} warning(s)** in {result.units_checked} queries and models.")
    lines += ["", "| | Where | Rule | Finding |", "|---|---|---|---|"]
    for finding in sorted(result.findings, key=lambda f: (ORDER[f.severity], f.sort_key())):
        lines.append(
            f"| {ICONS[finding.severity]} | `{finding.location}` | {finding.code} {finding.rule_name} | {_cell(finding.message)} |"
        )
    with_sql = [f for f in result.findings if f.details.get("canonical_sql")]
    for finding in with_sql:
        lines += [
            "",
            f"<details><summary>Canonical SQL for {finding.details.get('metric')} ({finding.location})</summary>",
            "",
            "```sql",
            finding.details["canonical_sql"].strip(),
            "```",
            "</details>",
        ]
    return "\n".join(lines) + "\n"
