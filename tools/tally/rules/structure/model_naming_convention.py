"""ST001: A model in a layer's folder whose name has no prefix of any layer."""

from pathlib import PurePosixPath
from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding
from tally.rules.modeling.base import ManifestRule
from tally.rules.structure.layers import folder_layer, prefix_layer, prefixes_of


class ModelNamingConvention(ManifestRule):
    """A model in a layer's folder whose name does not carry that layer's prefix.

    What it does:
        Finds each model's layer from its folder (`[tool.tally.layers.<layer>].folders`) and
        reports it when its name starts with none of that layer's prefixes. Layers with no
        prefixes configured (marts named for plain business entities) are not checked. A name
        that carries another layer's prefix is reported by ST002 instead.

    Why it matters:
        The prefix is how a reader knows, from a `ref()` alone, what a model is and what it may
        read: `stg_` is one cleaned source table, `int_` a step, `fct_`/`dim_` a promise to
        the business.

    Example:
        models/staging/shop/orders.sql

    Use instead:
        models/staging/shop/stg_shop__orders.sql
    """

    code = "ST001"
    name = "model-naming-convention"
    family = "structure"
    summary = "A model in a layer's folder whose name has no prefix of any layer."

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        for node in ctx.project.models():
            layer = folder_layer(ctx.config, node.path)
            if layer is None or not layer.prefixes or prefix_layer(ctx.config, node.name):
                continue
            if self.excepted(ctx, node):
                continue
            yield self.finding(
                f"{node.name} sits in the {layer.name} layer's folder ({PurePosixPath(node.path).parent}/) but its "
                f"name does not start with {prefixes_of(layer).replace(', ', ' or ')}; rename it with the "
                f"layer's prefix (e.g. {layer.prefixes[0]}{node.name})",
                ctx.node_location(node.unique_id),
                model=node.name,
                layer=layer.name,
            )
