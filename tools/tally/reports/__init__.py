"""Reporters turn findings into text for people and machines. They never analyse."""

from __future__ import annotations

from typing import Callable

from tally.engine import CheckResult


def get(name: str) -> Callable[..., str]:
    from tally.reports import github, json_report, markdown, sarif, text

    reporters = {
        "text": text.render,
        "json": json_report.render,
        "sarif": sarif.render,
        "github": github.render,
        "markdown": markdown.render,
    }
    return reporters[name]


FORMATS = ("text", "json", "sarif", "github", "markdown")

__all__ = ["CheckResult", "FORMATS", "get"]
