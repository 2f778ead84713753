"""Does a model's SQL transpile to every target dialect?

Checked on the model's Jinja source with macros left as black boxes: dispatched macros
(`dbt.date_trunc`, the package's own `adapter.dispatch` macros) render the right SQL on each
engine by construction, so only the SQL written outside them has to be portable.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from tally.analysis.query import QueryAnalysis, position_in
from tally.inputs.units import MODEL

# sqlglot generates *something* for most constructs in every dialect, even where the engine has
# no such thing (it writes REGEXP_FULL_MATCH for PostgreSQL). These are the constructs, by
# sqlglot class, that a target engine does not run, beyond what sqlglot itself refuses.
NOT_ON: dict[str, dict[type, str]] = {
    "postgres": {
        exp.Comprehension: "list comprehensions",
        exp.RegexpFullMatch: "regexp_full_match()",
        exp.ArgMax: "arg_max()/max_by()",
        exp.ArgMin: "arg_min()/min_by()",
        exp.Transform: "lambda functions (list_transform)",
        exp.ReadCSV: "read_csv() table functions",
        exp.Pivot: "PIVOT",
    },
    "spark": {
        exp.RegexpFullMatch: "regexp_full_match()",
        exp.ReadCSV: "read_csv() table functions",
    },
}


def _dialect_gaps(statement: exp.Expression, dialect: str) -> list[tuple[str, exp.Expression]]:
    """Constructs of a parsed statement the target engine does not have."""
    gaps = []
    table = NOT_ON.get(dialect, {})
    for node in statement.walk():
        for kind, what in table.items():
            if isinstance(node, kind):
                gaps.append((what, node))
        if isinstance(node, exp.Star) and (node.args.get("except_") or node.args.get("replace")) and dialect != "duckdb":
            if dialect == "postgres" or node.args.get("replace"):
                gaps.append(("SELECT * EXCLUDE/REPLACE", node))
        if isinstance(node, exp.Group) and node.args.get("all") and dialect == "postgres":
            gaps.append(("GROUP BY ALL", node))
        if isinstance(node, exp.Anonymous):
            gaps.append((f"{node.name}(), a function sqlglot does not know in {dialect}", node))
    return gaps


def check_portability(analysis: QueryAnalysis, schema) -> None:
    """Pipeline step: record (dialect, problem, (line, col)) for SQL a target dialect cannot
    express. Positions are in the unit's portable SQL (its Jinja source, rendered)."""
    config = schema.project.config
    analysis.portability = portability_problems(
        analysis.unit, analysis.dialect, config.target_dialects, config.portable_functions
    )


def portability_problems(unit, dialect: str, targets: list[str], portable_functions: list[str]) -> list:
    """What `check_portability` records, as a plain function of the unit (so it can run in a
    worker process beside the rest of the analysis)."""
    if unit.kind != MODEL or not unit.portable_sql or not targets:
        return []
    problems: list[tuple[str, str, tuple[int, int]]] = []
    sql = unit.portable_sql

    def add(target: str, problem: str, node) -> None:
        problems.append((target, problem, position_in(sql, node) if node is not None else (1, 1)))

    try:
        statements = _statements(sql, dialect)
    except Exception:
        return []  # the compiled SQL's parse error is reported by PE001; nothing to transpile
    allowed = {name.lower() for name in portable_functions}
    others = [target for target in targets if target != dialect]
    for number, target in enumerate(others, start=1):
        last = number == len(others)
        for index, statement in enumerate(statements):
            for what, node in _dialect_gaps(statement, target):
                if isinstance(node, exp.Anonymous) and (node.name.lower() in allowed or _placeholder(node)):
                    continue
                add(target, f"{target} has no {what}", node)
            try:
                # generating copies the tree first (its transforms mutate it); the last
                # target may use the tree itself, which halves the copying for two targets
                statement.sql(dialect=target, unsupported_level=ErrorLevel.RAISE, copy=not last)
            except UnsupportedError as exc:
                pristine = _statements(sql, dialect)[index] if last else statement
                add(target, _first_line(exc), _culprit(pristine, target))
            except Exception as exc:  # a generator bug is not the model's fault; say so plainly
                add(target, f"could not be generated ({type(exc).__name__})", None)
    return problems


def _statements(sql: str, dialect: str) -> list[exp.Expression]:
    return [s for s in sqlglot.parse(sql, read=dialect) if s is not None]


def _placeholder(node: exp.Expression) -> bool:
    return node.name.startswith("__")


def _culprit(statement: exp.Expression, dialect: str) -> exp.Expression | None:
    """The smallest part of the statement that does not transpile, for the finding's position."""
    culprit = None
    for node in statement.walk():
        if not isinstance(node, (exp.Func, exp.Query, exp.Window, exp.DataType, exp.Qualify)):
            continue
        try:
            node.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
        except Exception:
            culprit = node  # keep walking: a deeper node is more precise
    return culprit


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
