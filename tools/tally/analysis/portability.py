"""Does a model's SQL transpile to every target dialect?

Checked on the model's Jinja source with macros left as black boxes: dispatched macros
(`dbt.date_trunc`, the package's own `adapter.dispatch` macros) render the right SQL on each
engine by construction, so only the SQL written outside them has to be portable.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from tally.analysis.query import QueryAnalysis
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
    """Pipeline step: record (dialect, problem, node) for SQL a target dialect cannot express."""
    unit = analysis.unit
    targets = schema.project.config.target_dialects
    if unit.kind != MODEL or not unit.portable_sql or not targets:
        return
    try:
        statements = [s for s in sqlglot.parse(unit.portable_sql, read=analysis.dialect) if s is not None]
    except Exception:
        return  # the compiled SQL's parse error is reported by PE001; nothing to transpile
    for dialect in targets:
        if dialect == analysis.dialect:
            continue
        allowed = {name.lower() for name in schema.project.config.portable_functions}
        for statement in statements:
            try:
                statement.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
            except UnsupportedError as exc:
                analysis.portability.append((dialect, _first_line(exc), _culprit(statement, dialect)))
            except Exception as exc:  # a generator bug is not the model's fault; say so plainly
                analysis.portability.append((dialect, f"could not be generated ({type(exc).__name__})", None))
            for what, node in _dialect_gaps(statement, dialect):
                if isinstance(node, exp.Anonymous) and (node.name.lower() in allowed or _placeholder(node)):
                    continue
                analysis.portability.append((dialect, f"{dialect} has no {what}", node))


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
