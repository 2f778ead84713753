"""TS001: A staging model or mart has no primary key proven by tests or constraints."""

from __future__ import annotations

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.inputs.project import Node
from tally.rules.modeling.base import ManifestRule, listed

CHECKED_LAYERS = ("staging", "marts")
NOT_NULL = {"not_null", "primary_key"}  # tests or constraints that rule out nulls
WHOLE_KEY_TESTS = {"primary_key"}  # dbt_constraints' test: unique and not null at once


class MissingPrimaryKeyTest(ManifestRule):
    """A staging model or mart has no primary key proven by tests or constraints.

    What it does:
        Checks every model of the staging and marts layers for a column set that is both
        unique (a `unique` or `unique_combination_of_columns` test, a unique or primary-key
        constraint, or a semantic model's primary entity) and never null (`not_null` tests or
        constraints on each column). A `primary_key` constraint proves both.

    Why it matters:
        The grain of a model is its most important promise. Without a tested key, duplicated
        rows (a CDC re-delivery, a join that fans out) pass silently and every sum over the
        model is wrong.

    Example:
        models:
          - name: fct_orders
            columns:
              - name: order_id
                data_tests: [unique]

    Use instead:
        models:
          - name: fct_orders
            columns:
              - name: order_id
                data_tests: [unique, not_null]
    """

    code = "TS001"
    name = "missing-primary-key-test"
    family = "testing"
    summary = "A staging model or mart has no primary key proven by tests or constraints."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            layer = ctx.project.layer_of(node)
            if layer not in CHECKED_LAYERS or self._proven(ctx, node) or self.excepted(ctx, node):
                continue
            columns = self._unique_but_nullable(node)
            if columns:
                message = (f"the {layer} model {node.name} tests {columns} as unique but not as not null; add a "
                           f"not_null test (or constraint) on {columns}")
            else:
                message = (f"the {layer} model {node.name} has no primary-key test; add unique and not_null "
                           f"tests on its key column (or a primary_key constraint)")
            yield self.finding(message, ctx.yaml_location(node.unique_id), model=node.name, layer=layer)

    @staticmethod
    def _not_null(node: Node, column: str) -> bool:
        col = node.columns.get(column)
        return col is not None and bool((col.tests | col.constraints) & NOT_NULL)

    def _proven(self, ctx: ProjectContext, node: Node) -> bool:
        if any(col.tests & WHOLE_KEY_TESTS or "primary_key" in col.constraints for col in node.columns.values()):
            return True
        raw = ctx.project.manifest.get("nodes", {}).get(node.unique_id, {})
        if any(c.get("type") == "primary_key" and c.get("columns") for c in raw.get("constraints") or []):
            return True
        return any(all(self._not_null(node, c) for c in key) for key in node.unique_column_sets)

    def _unique_but_nullable(self, node: Node) -> str:
        """The columns of the narrowest unique key that are not proven not null ('' if none)."""
        for key in sorted(node.unique_column_sets, key=len):
            missing = [c for c in key if not self._not_null(node, c)]
            if missing:
                return listed(missing)
        return ""
