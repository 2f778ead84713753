"""SARIF 2.1.0, for code-scanning tools (GitHub code scanning, IDEs)."""

from __future__ import annotations

import json

from tally import __version__
from tally.engine import CheckResult
from tally.findings import Severity
from tally.rules.registry import RULES

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(result: CheckResult, **_: object) -> str:
    rules = []
    index = {}
    for position, rule in enumerate(RULES):
        doc = rule.documentation()
        index[rule.code] = position
        rules.append({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": doc.get("summary") or rule.summary},
            "help": {
                "text": "\n\n".join(
                    f"{title}:\n{doc[title]}" for title in ("Why it matters", "Example", "Use instead") if doc.get(title)
                ) or rule.summary
            },
            "defaultConfiguration": {"level": LEVELS[rule.default_severity]},
            "properties": {"family": rule.family},
        })
    results = []
    for finding in result.findings:
        item = {
            "ruleId": finding.code,
            "level": LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.location.path.replace("\\", "/")},
                    "region": {"startLine": finding.location.line, "startColumn": finding.location.col},
                }
            }],
        }
        if finding.code in index:
            item["ruleIndex"] = index[finding.code]
        if finding.details:
            item["properties"] = {k: v for k, v in finding.details.items() if v is not None}
        results.append(item)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tally",
                "version": __version__,
                "informationUri": "https://github.com/tally-dev/tally",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, default=str) + "\n"
