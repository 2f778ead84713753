"""ST004: A model's generic tests are defined in a YAML file outside the model's folder."""

from __future__ import annotations

from collections import defaultdict
from pathlib import PurePosixPath
from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding, Location
from tally.rules.modeling.base import ManifestRule, listed


class TestDirectory(ManifestRule):
    """A model's generic tests are defined in a YAML file outside the model's folder.

    What it does:
        Compares the folder of the YAML file that declares each generic data test with the
        folder of the model the test is attached to, and reports each model and YAML file
        that differ (dbt-project-evaluator's test directories). Singular tests are SQL files
        under `tests/` by dbt's convention and are not checked.

    Why it matters:
        Tests document a model's promises. Kept in the YAML beside the model they are read and
        changed with it; kept elsewhere they are forgotten when the model changes, or moved
        with the wrong model.

    Example:
        models/marts/fct_orders.sql
        models/staging/_tests.yml        tests fct_orders.order_id

    Use instead:
        models/marts/fct_orders.sql
        models/marts/_marts__models.yml  tests fct_orders.order_id
    """

    __test__ = False  # not a pytest test class, whatever its name says

    code = "ST004"
    name = "test-directory"
    family = "structure"
    summary = "A model's generic tests are defined in a YAML file outside the model's folder."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        project = ctx.project
        misplaced: dict[tuple[str, str], list[str]] = defaultdict(list)
        for test in project.tests:
            node = project.nodes.get(test.get("attached_node") or "")
            test_path = test.get("original_file_path") or ""
            if not test.get("test_metadata") or node is None or node.resource_type != "model":
                continue
            if not node.is_root_project or not test_path.endswith((".yml", ".yaml")):
                continue
            if PurePosixPath(test_path).parent != PurePosixPath(node.path).parent:
                misplaced[(node.unique_id, test_path)].append(test.get("name") or test["test_metadata"]["name"])
        for (unique_id, test_path), tests in sorted(misplaced.items()):
            node = project.nodes[unique_id]
            if self.excepted(ctx, node):
                continue
            model_folder = PurePosixPath(node.path).parent
            yield self.finding(
                f"{len(tests)} test(s) of {node.name} ({listed(sorted(tests))}) are defined in {test_path}, outside "
                f"the model's folder {model_folder}/; move them to the YAML beside {node.name}",
                Location(test_path, project.yaml_line(test_path, node.name)),
                model=node.name,
                tests=sorted(tests),
            )
