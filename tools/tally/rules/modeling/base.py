"""What the manifest rules share: skip a node with a written exception, name nodes, point at ref().

The modeling, testing, documentation, structure and governance families all read the dbt
project's graph rather than a query. They report one finding per node, at the node's own file
(or the exact `ref()`/`source()` call that makes the edge), and honour
`[tool.tally.exceptions.<CODE>]` entries, which always carry a reason.
"""

from __future__ import annotations

import re
from typing import Iterable

from sqlglot import exp

from tally.context import ProjectContext
from tally.findings import Location
from tally.inputs.project import Node
from tally.rules.base import Needs, Rule, Scope

MAX_NAMED = 5
_NAME_CHARS = re.compile(r'[\w."`\[\]$]')


class ManifestRule(Rule):
    scope = Scope.PROJECT
    needs = Needs.PROJECT  # a rule reading the models' SQL says so (Needs.PARSED)

    def excepted(self, ctx: ProjectContext, node: Node) -> bool:
        """True when configuration lists this node (by name, or source.table) as an exception."""
        return bool(ctx.exception(self.code, node.name) or ctx.exception(self.code, node.label))


def listed(names: Iterable[str], limit: int = MAX_NAMED) -> str:
    """'a, b and c'; past `limit` names, 'a, b, c, d, e and 3 more'.

    >>> listed(["a"])
    'a'
    >>> listed(["a", "b", "c"])
    'a, b and c'
    >>> listed([str(i) for i in range(8)])
    '0, 1, 2, 3, 4 and 3 more'
    """
    names = list(names)
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {len(names) - limit} more"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else ""


def the_sources(sources: list[Node]) -> str:
    """'the source shop.orders', 'the sources shop.orders and shop.customers'."""
    noun = "source" if len(sources) == 1 else "sources"
    return f"the {noun} {listed(s.label for s in sources)}"


def describe(ctx: ProjectContext, node: Node) -> str:
    """'the staging model stg_shop__orders', 'the source shop.orders', 'the seed fx_rates'."""
    if node.resource_type == "model":
        layer = ctx.project.layer_of(node)
        return f"the {layer} model {node.name}" if layer else f"the model {node.name}"
    return f"the {node.resource_type} {node.label}"


def source_call(node: Node) -> str:
    """How a model's SQL reads a node: `source('shop', 'orders')` or `ref('stg_shop__orders')`."""
    if node.resource_type == "source":
        return f"{{{{ source('{node.source_name}', '{node.name}') }}}}"
    return f"{{{{ ref('{node.name}') }}}}"


def call_location(ctx: ProjectContext, node: Node, parent: Node) -> Location:
    """Where `node`'s SQL calls ref() or source() for `parent`; the file's first line if not found."""
    if parent.resource_type == "source":
        pattern = (r"\bsource\(\s*['\"]" + re.escape(parent.source_name or "") + r"['\"]\s*,\s*['\"]"
                   + re.escape(parent.name) + r"['\"]")
    else:
        pattern = r"\bref\(\s*(?:['\"][^'\"]+['\"]\s*,\s*)?['\"]" + re.escape(parent.name) + r"['\"]"
    found = re.search(pattern, node.raw_code)
    if found is None:
        return ctx.node_location(node.unique_id)
    start = found.start()
    line = node.raw_code.count("\n", 0, start) + 1
    col = start - (node.raw_code.rfind("\n", 0, start) + 1) + 1
    return Location(node.path or node.unique_id, line, col)


def model_parents(ctx: ProjectContext, node: Node, resource_type: str) -> list[Node]:
    return [p for p in ctx.project.parents(node.unique_id) if p.resource_type == resource_type]


def reference_span(sql: str, table: exp.Table) -> tuple[int, int] | None:
    """(start, end) of a table reference as written in the unit's SQL, qualifiers included."""
    starts, ends = [], []
    for key in ("catalog", "db", "this"):
        part = table.args.get(key)
        if isinstance(part, exp.Identifier) and part.meta.get("start") is not None:
            starts.append(part.meta["start"])
            ends.append(part.meta["end"])
    if not starts:
        return None
    start, end = min(starts), max(ends) + 1
    while start > 0 and _NAME_CHARS.match(sql[start - 1]):
        start -= 1
    if sql[end:].lstrip().startswith("("):
        return None  # a table function such as read_parquet(...)
    return start, end
