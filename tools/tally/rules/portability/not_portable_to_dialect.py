"""PT001: model SQL that does not transpile to a configured target dialect."""

from typing import Iterable

from tally.context import QueryContext
from tally.findings import Finding, Location
from tally.rules.base import Rule


class NotPortableToDialect(Rule):
    """Model SQL, written outside dispatched macros, that does not transpile to one of the
    target dialects (`target_dialects`, by default DuckDB, PostgreSQL and Spark).

    What it does:
        Renders the model's Jinja with every macro left as a black box (dispatched macros such
        as `dbt.date_trunc` produce the right SQL on each engine), parses the rest in the
        project's dialect and generates it for each target; a construct a target cannot
        express is reported with the dialect.

    Why it matters:
        A model that only runs on DuckDB breaks the day the project moves to a warehouse server
        or Spark, and the numbers there are missing rather than wrong, which is found late.

    Example:
        select * from {{ ref('stg_orders') }} qualify row_number() over (partition by id order by ts desc) = 1

    Use instead:
        select * from (
            select *, row_number() over (partition by id order by ts desc) as rn from {{ ref('stg_orders') }}
        ) as ranked where rn = 1
        -- or an adapter.dispatch macro with one implementation per engine
    """

    code = "PT001"
    name = "not-portable-to-dialect"
    family = "portability"
    summary = "Model SQL that does not transpile to a configured target dialect."
    applies_to = frozenset({"model"})

    def check_query(self, ctx: QueryContext) -> Iterable[Finding]:
        reported = set()
        for dialect, problem, (line, col) in ctx.analysis.portability:
            if (dialect, problem) in reported:
                continue
            reported.add((dialect, problem))
            yield self.finding(
                f"{ctx.unit.name} does not transpile to {dialect}: {problem}. Use a cross-database "
                f"macro (dbt.*) or an adapter.dispatch macro with an implementation per engine.",
                Location(ctx.unit.path, line, col),  # positions are in the Jinja source itself
                dialect=dialect,
            )

