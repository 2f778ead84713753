"""Everything one review found, in one object the reporters read (they never analyse)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tally import __version__
from tally.review.breaking import BreakingChange
from tally.review.changes import Changes
from tally.review.findings import ReviewFindings
from tally.review.numbers import Numbers

# Exit codes of `tally review` (tally.cli: 2 means tally could not run at all).
PASS, FAIL = 0, 1


@dataclass
class HeadError:
    """Something in head that stops the review's numbers: dbt could not parse or build it."""

    stage: str  # parse, build
    node: str | None
    message: str

    def to_dict(self) -> dict:
        return {"stage": self.stage, "node": self.node, "message": self.message}


@dataclass
class ReviewResult:
    project: str
    base: dict  # ref, sha (or state folder)
    head: dict  # what head is: the project on disk, at which commit
    changes: Changes | None = None
    breaking: list[BreakingChange] = field(default_factory=list)
    numbers: Numbers | None = None
    findings: ReviewFindings | None = None
    errors: list[HeadError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    run_dir: str = ""

    @property
    def failing_breaking(self) -> list[BreakingChange]:
        return [b for b in self.breaking if b.fails]

    @property
    def error_findings(self) -> int:
        return len(self.findings.failing) if self.findings else 0

    @property
    def exit_code(self) -> int:
        """1 on a breaking change (not carried by a new model version), a new finding at error
        severity, or a head that dbt cannot parse or build; else 0."""
        return FAIL if (self.errors or self.failing_breaking or self.error_findings) else PASS

    @property
    def metric_impact(self) -> str:
        """'moved', 'none' (computed, nothing moved, or no metric downstream) or 'unknown'."""
        if self.changes is not None and not self.changes.impacted_metrics:
            return "none"
        if self.numbers is None or self.numbers.skipped or self.numbers.head_failed:
            return "unknown"
        if any(m.moved for m in self.numbers.metrics):
            return "moved"
        if any(m.error for m in self.numbers.metrics):
            return "unknown"
        return "none"

    def summary(self) -> dict:
        changes = self.changes
        numbers = self.numbers
        return {
            "status": "fail" if self.exit_code else "pass",
            "changed_nodes": len(changes.nodes) if changes else 0,
            "downstream_nodes": len(changes.downstream) if changes else 0,
            "changed_columns": len(changes.columns) if changes else 0,
            "breaking_changes": len(self.breaking),
            "breaking_changes_failing": len(self.failing_breaking),
            "metrics_impacted": len(changes.impacted_metrics) if changes else 0,
            "metrics_moved": [m.name for m in numbers.metrics if m.moved] if numbers else [],
            "metric_impact": self.metric_impact,
            "marts_differing": [m.model for m in numbers.marts if m.differs] if numbers else [],
            "error_findings": self.error_findings,
            "findings": len(self.findings.all) if self.findings else 0,
            "errors": len(self.errors),
        }

    def to_dict(self) -> dict:
        return {
            "tool": "tally review",
            "version": __version__,
            "status": "fail" if self.exit_code else "pass",
            "exit_code": self.exit_code,
            "project": self.project,
            "base": self.base,
            "head": self.head,
            "summary": self.summary(),
            "errors": [e.to_dict() for e in self.errors],
            "changes": self.changes.to_dict() if self.changes else None,
            "breaking": [b.to_dict() for b in self.breaking],
            "numbers": self.numbers.to_dict() if self.numbers else None,
            "findings": self.findings.to_dict() if self.findings else None,
            "notes": self.notes,
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "run_dir": self.run_dir,
        }
