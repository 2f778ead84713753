"""GitHub Actions workflow commands: one annotation per finding on the pull request's diff."""

from __future__ import annotations

from tally.engine import CheckResult
from tally.findings import Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: CheckResult, **_: object) -> str:
    lines = []
    for finding in result.findings:
        props = ",".join([
            f"file={_escape_property(finding.location.path)}",
            f"line={finding.location.line}",
            f"col={finding.location.col}",
            f"title={_escape_property(f'{finding.code} {finding.rule_name}')}",
        ])
        lines.append(f"::{COMMANDS[finding.severity]} {props}::{_escape_data(finding.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
