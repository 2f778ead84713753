"""`tally lineage <model.column | metric>`: the column-level path in both directions.

Upstream: from the column back to source columns, through every model. Downstream: to the
models that read it, the metrics built on it and the dashboard tiles that show them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field

from tally.analysis import query
from tally.analysis.impact import Impact
from tally.cli import EXIT_CLEAN, ToolError
from tally.commands.check import load_context
from tally.engine import STEPS, build_shared
from tally.inputs.collect import collect

MAX_DEPTH = 40


@dataclass
class Tree:
    label: str
    children: list["Tree"] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.label, "children": [c.to_dict() for c in self.children]}

    def lines(self, prefix: str = "", last: bool = True, root: bool = True) -> list[str]:
        out = [self.label if root else f"{prefix}{'└─ ' if last else '├─ '}{self.label}"]
        child_prefix = "" if root else prefix + ("   " if last else "│  ")
        for index, child in enumerate(self.children):
            out += child.lines(child_prefix, index == len(self.children) - 1, root=False)
        return out


def upstream_tree(impact: Impact, key, seen=None, depth=0) -> Tree:
    seen = set() if seen is None else seen
    tree = Tree(impact.label(key))
    if depth > MAX_DEPTH or key in seen:
        return tree
    seen = seen | {key}
    for edge in sorted(impact.lineage.upstream.get(key, []), key=lambda e: impact.label(e.upstream)):
        child = upstream_tree(impact, edge.upstream, seen, depth + 1)
        if edge.masked:
            child.label += "  (masked)"
        tree.children.append(child)
    return tree


def downstream_tree(impact: Impact, key, seen=None, depth=0) -> Tree:
    seen = set() if seen is None else seen
    tree = Tree(impact.label(key))
    if depth > MAX_DEPTH or key in seen:
        return tree
    seen = seen | {key}
    for edge in sorted(impact.lineage.downstream.get(key, []), key=lambda e: impact.label(e.downstream)):
        tree.children.append(downstream_tree(impact, edge.downstream, seen, depth + 1))
    for metric in impact.metrics_reading(key):
        tree.children.append(metric_tree(impact, metric))
    for tile in impact.tiles_reading(key):
        tree.children.append(Tree(f"tile {tile}"))
    return tree


def metric_tree(impact: Impact, metric, seen=None) -> Tree:
    seen = set() if seen is None else seen
    tree = Tree(f"metric {metric.name} ({metric.type}: {metric.definition()})")
    if metric.name in seen:
        return tree
    seen = seen | {metric.name}
    for other in impact.metrics_built_on(metric):
        if other.numerator == metric.name or other.denominator == metric.name or metric.name in other.inputs:
            tree.children.append(metric_tree(impact, other, seen))
    for tile in impact.tiles_showing(metric):
        tree.children.append(Tree(f"tile {tile}"))
    return tree


def run(args) -> int:
    config, artifacts = load_context(args)
    config.check_models = False
    shared = build_shared(artifacts, config)
    dashboards, _ = collect(shared.project, config)
    analyses = [query.analyse(unit, shared.schema, shared.dialect, STEPS) for unit in dashboards]
    impact = Impact(shared.lineage, shared.semantic, analyses)

    metric = shared.semantic.metrics.get(args.target)
    if metric is not None:
        upstream = Tree(f"metric {metric.name}: {metric.definition()}")
        for key in sorted(impact.metric_columns(metric)):
            upstream.children.append(upstream_tree(impact, key))
        downstream = metric_tree(impact, metric)
    else:
        key = impact.resolve(args.target)
        if key is None:
            raise ToolError(
                f"{args.target!r} is neither a metric nor model.column of this project "
                f"(metrics: {', '.join(sorted(shared.semantic.metrics)[:8])}...)"
            )
        known = impact.lineage.columns_of(key[0])
        node = shared.project.nodes[key[0]]
        if node.resource_type == "model" and known and key[1] not in known:
            raise ToolError(f"{node.name} has no column {key[1]!r} (it has: {', '.join(sorted(known)[:12])})")
        upstream = upstream_tree(impact, key)
        downstream = downstream_tree(impact, key)

    if args.format == "json":
        payload = {"target": args.target, "upstream": upstream.to_dict(), "downstream": downstream.to_dict()}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return EXIT_CLEAN
    if args.direction in ("both", "up"):
        print("Upstream (where it comes from):")
        print("\n".join("  " + line for line in upstream.lines()))
    if args.direction == "both":
        print()
    if args.direction in ("both", "down"):
        print("Downstream (what reads it):")
        print("\n".join("  " + line for line in downstream.lines()))
    return EXIT_CLEAN
