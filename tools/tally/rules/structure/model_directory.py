"""ST002: A model whose name prefix says one layer and whose folder says another (or none)."""

from pathlib import PurePosixPath
from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule
from tally.rules.structure.layers import folder_layer, folders_of, prefix_layer


class ModelDirectory(ManifestRule):
    """A model whose name prefix says one layer and whose folder says another, or none.

    What it does:
        Finds each model's layer from its name prefix and from its folder
        (`[tool.tally.layers]`) and reports the model when they disagree, or when its folder
        belongs to no layer.

    Why it matters:
        Configuration lives on folders: materialization, schema, access and contracts. A
        staging model filed under marts is built as a public, contracted table; a mart filed
        under staging is built as a private view.

    Example:
        models/marts/stg_shop__orders.sql

    Use instead:
        models/staging/shop/stg_shop__orders.sql
    """

    code = "ST002"
    name = "model-directory"
    family = "structure"
    summary = "A model whose name prefix says one layer and whose folder says another (or none)."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            named = prefix_layer(ctx.config, node.name)
            if named is None:
                continue
            layer, prefix = named
            folder = folder_layer(ctx.config, node.path)
            if folder == layer or self.excepted(ctx, node):
                continue
            where = f"the {folder.name} layer's folder" if folder else "a folder of no layer"
            yield self.finding(
                f"{node.name} is named as a {layer.name} model ({prefix}) but sits in {where} "
                f"({PurePosixPath(node.path).parent}/); move it under {folders_of(layer)} or rename it",
                ctx.node_location(node.unique_id),
                model=node.name,
                named_layer=layer.name,
                folder_layer=folder.name if folder else None,
            )
