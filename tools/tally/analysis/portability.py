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
        for statement in statements:
            try:
                statement.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
            except UnsupportedError as exc:
                analysis.portability.append((dialect, _first_line(exc), _culprit(statement, dialect)))
            except Exception as exc:  # a generator bug is not the model's fault; say so plainly
                analysis.portability.append((dialect, f"could not be generated ({type(exc).__name__})", None))


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
