"""ST003: A source defined outside the staging folder, or outside its own `staging/<source>/` folder."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding, Location
from tally.rules.modeling.base import ManifestRule
from tally.rules.structure.layers import folder_index


class SourceDirectory(ManifestRule):
    """A source is defined outside the staging folder, or in another source's folder.

    What it does:
        Reports each source whose YAML is not in a staging folder itself or in that folder's
        sub-folder named for the source (`models/staging/` or `models/staging/<source>/`, with
        the staging folders of `[tool.tally.layers.staging]`).

    Why it matters:
        A source is read only by its staging models. Defining it beside them keeps the raw
        table, its tests and its cleaning in one place; defined anywhere else it is hard to
        find and easy to read from the wrong layer.

    Example:
        models/marts/_sources.yml           defines source `shop`
        models/staging/web/_web__sources.yml defines source `shop`

    Use instead:
        models/staging/shop/_shop__sources.yml defines source `shop`
    """

    code = "ST003"
    name = "source-directory"
    family = "structure"
    summary = "A source defined outside the staging folder, or outside its own `staging/<source>/` folder."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        seen: set[tuple[str, str]] = set()
        for table in ctx.project.sources():
            source_name = table.source_name or ""
            key = (source_name, table.path)
            if not table.is_root_project or key in seen:
                continue
            seen.add(key)
            if self._placed(ctx, table.path, source_name) or ctx.exception(self.code, source_name):
                continue
            folder = str(PurePosixPath(table.path).parent)
            staging = ctx.config.layers.get("staging")
            home = f"{staging.folders[0]}/{source_name}/" if staging and staging.folders else f"staging/{source_name}/"
            yield self.finding(
                f"the source {source_name} is defined in {folder}/; move its YAML to {home}, beside its "
                f"staging models",
                Location(table.path, ctx.project.yaml_line(table.path, source_name)),
                source=source_name,
                path=table.path,
            )

    @staticmethod
    def _placed(ctx: ProjectContext, path: str, source_name: str) -> bool:
        index = folder_index(ctx.config, path, "staging")
        if index is None:
            return False
        parts = PurePosixPath(path).parent.parts
        return index == len(parts) - 1 or parts[index + 1] == source_name
