"""GV003: personal data reaching a public model unmasked."""

from typing import Iterable

from tally.context import ProjectContext
from tally.findings import Finding, Location
from tally.rules.base import Rule, Scope


class PersonalDataInPublicModel(Rule):
    """A column marked as personal data in its `meta` reaches a public model without masking.

    What it does:
        Starts from every column whose `meta` marks personal data (`pii: true`, or the keys in
        `pii_meta_keys`), on sources or models, and follows column-level lineage through every
        model. A public model's column that carries the value on (not hashed, not only tested
        in a condition, not only counted) is reported with the path it took.

    Why it matters:
        Public marts are what BI tools and every analyst can read. An email or phone number
        there has left the place where access to it is controlled.

    Example:
        -- models/marts/dim_customers.sql
        select customer_id, email from {{ ref('stg_shop__customers') }}

    Use instead:
        select customer_id, {{ dbt.hash('email') }} as email_hash from {{ ref('stg_shop__customers') }}
    """

    code = "GV003"
    name = "personal-data-in-public-model"
    family = "governance"
    summary = "A column marked as personal data reaches a public model without masking."
    scope = Scope.PROJECT

    def check_project(self, ctx: ProjectContext) -> Iterable[Finding]:
        personal = ctx.personal_data
        if not personal.marked:
            return
        for node in ctx.project.models():
            if not node.is_public or ctx.exception(self.code, node.name):
                continue
            for column in sorted(ctx.lineage.columns_of(node.unique_id)):
                key = (node.unique_id, column)
                origins = personal.origins(key)
                if not origins:
                    continue
                origin = sorted(origins)[0]
                path = " -> ".join(ctx.column_label(k) for k in personal.path(key, origin))
                path_name, line = ctx.project.definition_location(node)
                if node.columns.get(column) is not None and path_name:
                    line = ctx.project.yaml_line(path_name, column)
                yield self.finding(
                    f"public model {node.name} exposes personal data in `{column}`, unmasked: {path}. "
                    f"Hash it (e.g. {{{{ dbt.hash('{origin[1]}') }}}}), drop it, or keep the model non-public.",
                    Location(path_name or node.path, line),
                    column=column,
                    origin=ctx.column_label(origin),
                    path=path,
                )
