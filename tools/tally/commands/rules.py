"""`tally rules` and `tally rule CODE`: every rule, explained with an example."""

from __future__ import annotations

import json
import sys

from tally.cli import EXIT_CLEAN, ToolError
from tally.rules.registry import BY_CODE, FAMILIES, RULES


def run_list(args) -> int:
    if args.format == "json":
        payload = [
            {"code": r.code, "name": r.name, "family": r.family, "severity": r.default_severity.value,
             "summary": r.summary}
            for r in RULES
        ]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return EXIT_CLEAN
    current = None
    for rule in RULES:
        prefix = rule.code[:2]
        if prefix != current:
            current = prefix
            print(f"\n{prefix}  {FAMILIES.get(prefix, rule.family)}")
        print(f"  {rule.code}  {rule.name:<42} {rule.default_severity.value:<8} {rule.summary}")
    print("\n`tally rule CODE` explains a rule with an example.")
    return EXIT_CLEAN


def run_one(args) -> int:
    code = args.code.upper()
    rule = BY_CODE.get(code)
    if rule is None:
        close = [c for c in BY_CODE if c.startswith(code[:2])]
        hint = f" (codes in that family: {', '.join(close)})" if close else ""
        raise ToolError(f"no rule {args.code!r}{hint}; `tally rules` lists them all")
    doc = rule.documentation()
    print(f"{rule.code} {rule.name}  [{rule.family}, default severity {rule.default_severity.value}]")
    print()
    print(doc.get("summary") or rule.summary)
    for title in ("What it does", "Why it matters", "Example", "Use instead"):
        if doc.get(title):
            print(f"\n{title}:")
            for line in doc[title].splitlines():
                print(f"    {line}" if line else "")
    return EXIT_CLEAN
