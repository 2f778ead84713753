"""Findings as JSON: one object per finding, with everything a tool needs."""

from __future__ import annotations

import json

from tally import __version__
from tally.engine import CheckResult


def finding_dict(finding) -> dict:
    return {
        "code": finding.code,
        "rule": finding.rule_name,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": finding.location.path,
        "line": finding.location.line,
        "col": finding.location.col,
        "subject": finding.subject,
        "details": finding.details,
    }


def render(result: CheckResult, **_: object) -> str:
    payload = {
        "tool": "tally",
        "version": __version__,
        "summary": {
            "findings": len(result.findings),
            "errors": sum(f.severity.value == "error" for f in result.findings),
            "warnings": sum(f.severity.value == "warning" for f in result.findings),
            "units_checked": result.units_checked,
            "rules_run": result.rules_run,
            "suppressed": result.suppressed,
        },
        "findings": [finding_dict(f) for f in result.findings],
    }
    return json.dumps(payload, indent=2, default=str) + "\n"
