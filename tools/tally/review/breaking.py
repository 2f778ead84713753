"""Which of the changes break a promise: to a public mart's consumers, or to a metric's readers.

Public marts (`access: public`): a removed or renamed model or column, a changed column type, a
changed grain or primary key (the narrowest column set proven unique by tests, constraints or a
semantic model's primary entity), a dropped contract, a model no longer public. Such a change
fails the review unless head adds a new version of the model (dbt model versions), which is
how a mart changes without breaking its readers.

Metrics: a removed or renamed metric, or a changed type, aggregation, expression, filter or time
dimension (see changes.metric_definitions). A metric has no versions: its change fails the
review, so that someone decides it on purpose.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tally.inputs.project import Node
from tally.review.changes import Changes, SideAnalysis


@dataclass
class BreakingChange:
    subject: str  # the mart or metric
    kind: str  # "mart" or "metric"
    change: str  # what broke, in a few words
    base: str | None = None
    head: str | None = None
    versioned: bool = False  # head adds a new version of the mart: readers keep the old one

    @property
    def fails(self) -> bool:
        return not self.versioned

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "fails": self.fails}


def find_breaking(base: SideAnalysis, head: SideAnalysis, changes: Changes) -> list[BreakingChange]:
    found = _marts(base, head, changes) + _metrics(changes)
    return sorted(found, key=lambda b: (not b.fails, b.kind != "mart", b.subject, b.change))


# --- marts -------------------------------------------------------------------------------------------


def _marts(base: SideAnalysis, head: SideAnalysis, changes: Changes) -> list[BreakingChange]:
    found = []
    changed = {n.unique_id: n for n in changes.nodes if n.resource_type == "model"}
    reverse = {new: old for old, new in changes.renames.items()}
    base_project, head_project = base.shared.project, head.shared.project
    checked: set[str] = set()
    for unique_id, change in changed.items():
        old_id = reverse.get(unique_id, unique_id)
        old = base_project.nodes.get(old_id)
        if old is None or not old.is_public or old_id in checked:
            continue
        checked.add(old_id)
        versioned = _adds_version(base, head, old.name)
        new = head_project.nodes.get(unique_id) if change.change != "removed" else None
        if versioned:
            new = _latest(head, old.name) or new
        found += _compare_mart(old, new, change, changes, versioned, base, head)
    for unique_id in {n.unique_id for n in changes.nodes if n.change == "removed"} - checked:
        old = base_project.nodes.get(unique_id)
        if old is not None and old.resource_type == "model" and old.is_public:
            versioned = _adds_version(base, head, old.name)
            new = _latest(head, old.name) if versioned else None
            found += _compare_mart(old, new, None, changes, versioned, base, head)
    return found


def _compare_mart(old: Node, new: Node | None, change, changes: Changes, versioned: bool,
                  base: SideAnalysis, head: SideAnalysis) -> list[BreakingChange]:
    def breaking(what: str, before: str | None = None, after: str | None = None) -> BreakingChange:
        return BreakingChange(old.name, "mart", what, before, after, versioned)

    if new is None:
        return [breaking("model removed", old.name, None)]
    found = []
    if change is not None and change.change == "renamed":
        found.append(breaking("model renamed", old.name, new.name))
    if not new.is_public:
        found.append(breaking("no longer public", "public", new.access or "protected"))
    if old.contract_enforced and not new.contract_enforced:
        found.append(breaking("contract dropped", "enforced", "not enforced"))
    before, after = _declared(base, old), _declared(head, new)
    renamed = {c.renamed_from: c.column for c in changes.columns
               if c.change == "renamed" and c.base_model_id == old.unique_id}
    for name, data_type in before.items():
        if name in after:
            if _type(data_type) and _type(after[name]) and _type(data_type) != _type(after[name]):
                found.append(breaking(f"column {name}: type changed", data_type, after[name]))
        elif name in renamed and renamed[name] in after:
            found.append(breaking("column renamed", name, renamed[name]))
        else:
            found.append(breaking("column removed", f"{name} ({data_type})" if data_type else name, None))
    key = old.primary_key
    if key and key not in set(new.unique_column_sets):
        new_key = new.primary_key
        found.append(breaking("grain / primary key changed", ", ".join(key),
                              ", ".join(new_key) if new_key else "no key proven unique"))
    return found


def _declared(side: SideAnalysis, node: Node) -> dict[str, str | None]:
    """The mart's columns as its YAML (its contract) declares them, else as lineage finds them."""
    raw = (side.manifest.get("nodes") or {}).get(node.unique_id, {})
    declared = {name.lower(): (col.get("data_type") or None) for name, col in (raw.get("columns") or {}).items()}
    if declared:
        return declared
    return {name: None for name in side.shared.lineage.columns_of(node.unique_id)}


def _type(data_type: str | None) -> str:
    return "".join((data_type or "").lower().split())


def _versions(side: SideAnalysis, name: str) -> set[str]:
    return {str(n.version) for n in side.shared.project.nodes.values()
            if n.resource_type == "model" and n.name == name and n.version is not None}


def _adds_version(base: SideAnalysis, head: SideAnalysis, name: str) -> bool:
    return bool(_versions(head, name) - _versions(base, name))


def _latest(side: SideAnalysis, name: str) -> Node | None:
    versions = [n for n in side.shared.project.nodes.values() if n.resource_type == "model" and n.name == name]
    if not versions:
        return None
    latest = next((n for n in versions if n.latest_version is not None and str(n.version) == str(n.latest_version)), None)
    return latest or max(versions, key=lambda n: str(n.version))


# --- metrics -------------------------------------------------------------------------------------


def _metrics(changes: Changes) -> list[BreakingChange]:
    found = []
    for node in changes.nodes:
        if node.resource_type != "metric":
            continue
        if node.change == "removed":
            found.append(BreakingChange(node.name, "metric", "metric removed", node.name, None))
        elif node.change == "renamed":
            found.append(BreakingChange(node.renamed_from or node.name, "metric", "metric renamed",
                                        node.renamed_from, node.name))
    for component in changes.metric_components:
        found.append(BreakingChange(component.metric, "metric", f"{component.component} changed",
                                    component.base, component.head))
    return found
