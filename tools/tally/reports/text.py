"""`path:line:col CODE message`, grouped per file, coloured on a terminal."""

from __future__ import annotations

from itertools import groupby

from tally.engine import CheckResult
from tally.findings import Severity

COLOURS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def render(result: CheckResult, colour: bool = False, **_: object) -> str:
    def paint(text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if colour else text

    lines: list[str] = []
    for path, group in groupby(result.findings, key=lambda f: f.location.path):
        if lines:
            lines.append("")
        for finding in group:
            where = paint(f"{finding.location}", BOLD)
            code = paint(finding.code, COLOURS.get(finding.severity, ""))
            lines.append(f"{where} {code} {finding.message}")
    errors = sum(f.severity == Severity.ERROR for f in result.findings)
    warnings = sum(f.severity == Severity.WARNING for f in result.findings)
    files = len({f.location.path for f in result.findings})
    if result.findings:
        summary = f"Found {errors} error(s) and {warnings} warning(s) in {files} file(s); checked {result.units_checked} queries and models."
    else:
        summary = f"All clear: {result.units_checked} queries and models checked by {result.rules_run} rules."
    if result.suppressed:
        summary += f" {result.suppressed} finding(s) suppressed inline."
    if lines:
        lines.append("")
    lines.append(paint(summary, DIM) if not result.findings else summary)
    return "\n".join(lines) + "\n"
