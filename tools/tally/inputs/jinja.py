"""Render the Jinja in SQL well enough to analyse it, without a database.

Board queries use dbt-charts variables and helpers; dbt models and analyses use ref(), source()
and macros. Where dbt has compiled a node, tally uses the compiled SQL instead: this module is
the fallback that keeps unrendered SQL analysable. Unknown macros render as NULL so the
statement still parses; findings inside them are approximate, and tally says so.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable

import jinja2
from jinja2.sandbox import SandboxedEnvironment


class _Anything(jinja2.Undefined):
    """Undefined that renders as a harmless SQL value and can be called, indexed or iterated.

    An unknown macro renders as `(select null)`, which is valid SQL wherever a macro usually
    stands: an expression, a CTE body, a FROM clause. Type macros (`type_string()`) render as a
    type name, since they stand where a type is expected.
    """

    def __str__(self) -> str:
        name = (self._undefined_name or "").lower()
        if name.startswith("type_"):
            return "varchar"
        return "(select null)"

    def __call__(self, *args: Any, **kwargs: Any) -> "_Anything":
        return self

    def __getattr__(self, name: str) -> "_Anything":
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(name=name)

    def __getitem__(self, key: Any) -> "_Anything":
        return _Anything()

    def __iter__(self):
        return iter(())

    def __bool__(self) -> bool:
        return False


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=_Anything, autoescape=False, keep_trailing_newline=True)


_ENV = _environment()

# Rendering runs the template's own code, which fails in plain Python ways as well as with
# Jinja's TemplateError: `{{ 1 / 0 }}`, `{{ 'a' + 1 }}`, a range the sandbox refuses,
# `{% include %}` without a loader, a macro that calls itself. Each leaves the SQL unrendered.
_RENDER_ERRORS = Exception


class _CrossDatabaseMacros:
    """dbt's cross-database macros (`dbt.date_trunc(...)`, `dbt.dateadd(...)`, ...) as dbt-duckdb
    renders them. Without them a time bucket such as `{{ dbt.date_trunc('month', 'order_date') }}`
    rendered as NULL, and a rollup's month lost its lineage to the date it truncates."""

    _TYPES = {
        "type_string": "text", "type_timestamp": "timestamp", "type_float": "float",
        "type_numeric": "numeric(28, 6)", "type_bigint": "bigint", "type_int": "integer",
        "type_boolean": "boolean",
    }

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._TYPES:
            return lambda *args, **kwargs: self._TYPES[name]
        return _Anything(name=name)

    @staticmethod
    def date_trunc(datepart: str, date: str) -> str:
        return f"date_trunc('{datepart}', {date})"

    @staticmethod
    def dateadd(datepart: str, interval: Any, from_date_or_timestamp: str) -> str:
        return f"({from_date_or_timestamp} + interval ({interval}) {datepart})"

    @staticmethod
    def datediff(first_date: str, second_date: str, datepart: str) -> str:
        return f"date_diff('{datepart}', {first_date}, {second_date})"

    @staticmethod
    def safe_cast(field: str, type: str) -> str:
        return f"try_cast({field} as {type})"

    @staticmethod
    def concat(fields: list) -> str:
        return "(" + " || ".join(str(f) for f in fields) + ")"

    @staticmethod
    def hash(field: str) -> str:
        return f"md5(cast({field} as text))"

    @staticmethod
    def current_timestamp() -> str:
        return "current_timestamp"


class _QueryNamespace:
    def __init__(self, texts: dict[str, str], depth: int) -> None:
        self._texts, self._depth = texts, depth

    def __getattr__(self, name: str) -> str:
        if name in self._texts and self._depth < 5:
            return f"({render_board_sql(self._texts[name], self._texts, self._depth + 1)})"
        return "(select null)"


def render_board_sql(sql: str, board_queries: dict[str, str] | None = None, _depth: int = 0) -> str:
    """Render a dbt-charts query: variables become NULL, filter helpers become TRUE."""
    if "{{" not in sql and "{%" not in sql:
        return sql
    context = {
        "filter": lambda *a, **k: "1 = 1",
        "filter_date_range": lambda *a, **k: "1 = 1",
        "queries": _QueryNamespace(board_queries or {}, _depth),
    }
    try:
        return _ENV.from_string(sql).render(**context)
    except _RENDER_ERRORS:
        return sql  # leave it: the parser reports the broken template as a parse error


class _Relation(str):
    """A rendered relation; also answers the attributes dbt relations have."""

    def __new__(cls, text: str, identifier: str = "") -> "_Relation":
        obj = super().__new__(cls, text)
        obj.identifier = identifier or text.split(".")[-1]
        obj.name = obj.identifier
        return obj


def render_dbt_sql(
    sql: str,
    resolve_ref: Callable[[str], str | None],
    resolve_source: Callable[[str, str], str | None],
    variables: dict | None = None,
    this: str = "this",
) -> str:
    """Render a model or analysis's raw Jinja with ref(), source(), var() and friends."""
    variables = variables or {}

    def ref(*args: str, **kwargs: Any) -> _Relation:
        name = args[-1] if args else kwargs.get("name", "")
        return _Relation(resolve_ref(name) or name, name)

    def source(source_name: str, table_name: str) -> _Relation:
        return _Relation(resolve_source(source_name, table_name) or f"{source_name}.{table_name}", table_name)

    def var(name: str, default: Any = None) -> Any:
        return variables.get(name, default if default is not None else _Anything())

    context = {
        "ref": ref,
        "source": source,
        "var": var,
        "env_var": lambda name, default="": os.environ.get(name, default),
        "config": lambda *a, **k: "",
        "is_incremental": lambda: False,
        "this": _Relation(this),
        "target": {"name": "default", "type": "duckdb", "schema": "main"},
        "return": lambda value=None: value,
        "log": lambda *a, **k: "",
        "dbt": _CrossDatabaseMacros(),
    }
    try:
        simple = _render_refs_only(sql, ref, source)
        return simple if simple is not None else _ENV.from_string(sql).render(**context)
    except _RENDER_ERRORS:
        return sql


# `{{ ref('x') }}`, `{{ ref('package', 'x') }}` and `{{ source('s', 't') }}` with literal
# arguments: often a model's only Jinja.
_REF_OR_SOURCE = re.compile(
    r"\{\{\s*(ref|source)\(\s*('[^'\\{}]*'|\"[^\"\\{}]*\")\s*(?:,\s*('[^'\\{}]*'|\"[^\"\\{}]*\")\s*)?\)\s*\}\}"
)


def _render_refs_only(sql: str, ref: Callable, source: Callable) -> str | None:
    """The rendering of a template whose only Jinja is ref() and source() calls, without
    compiling it (compiling is most of the cost of rendering a model); None for any other
    template. Jinja passes the text between tags through unchanged, apart from normalising
    carriage returns, so such a template is left to Jinja too."""
    if "\r" in sql:
        return None
    pieces, last = [], 0
    for match in _REF_OR_SOURCE.finditer(sql):
        pieces.append(sql[last:match.start()])
        function, first, second = match.group(1), match.group(2)[1:-1], match.group(3)
        if function == "source":
            if second is None:
                return None
            pieces.append(str(source(first, second[1:-1])))
        else:
            pieces.append(str(ref(first) if second is None else ref(first, second[1:-1])))
        last = match.end()
    pieces.append(sql[last:])
    literals = pieces[::2]
    if any(marker in text for text in literals for marker in ("{{", "{%", "{#")):
        return None
    if any(text.endswith("{") for text in literals[:-1]):  # `{{{ ref(..) }}` is not a ref() call to Jinja
        return None
    return "".join(pieces)
