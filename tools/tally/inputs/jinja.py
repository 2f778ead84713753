"""Render the Jinja in SQL well enough to analyse it, without a database.

Board queries use dbt-charts variables and helpers; dbt models and analyses use ref(), source()
and macros. Where dbt has compiled a node, tally uses the compiled SQL instead: this module is
the fallback that keeps unrendered SQL analysable. The project's own macros (and its packages')
run from the manifest as dbt runs them at parse time: `execute` is false, `is_incremental()` is
false and `run_query` returns none, so a model renders as its full-refresh query. Unknown
macros, and macros that fail, render as NULL so the statement still parses; findings inside
them are approximate, and tally says so.
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
    # `{% do %}` as in dbt, where macros use it to build lists
    return SandboxedEnvironment(undefined=_Anything, autoescape=False, keep_trailing_newline=True,
                                extensions=["jinja2.ext.do"])


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


class _MacroReturn(Exception):
    """dbt's `{{ return(value) }}`: ends the macro, which then evaluates to `value`."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def _return(value: Any = None) -> None:
    raise _MacroReturn(value)


# Packages whose macros tally does not run: dbt's own and the adapters' (materializations,
# adapter dispatch). Their cross-database macros are `_CrossDatabaseMacros` instead.
_ADAPTER_PACKAGES = frozenset({
    "dbt", "dbt_duckdb", "dbt_postgres", "dbt_redshift", "dbt_snowflake", "dbt_bigquery", "dbt_spark",
    "dbt_databricks", "dbt_trino", "dbt_fabric", "dbt_sqlserver", "dbt_athena", "dbt_clickhouse",
})

# The deepest chain of macro calls tally follows, and the most calls in one rendering; beyond
# them a call renders as NULL. Macros that call each other twice would otherwise take time
# exponential in the depth.
_MAX_MACRO_DEPTH = 20
_MAX_MACRO_CALLS = 5000

# Names a model's context defines itself; a project macro of the same name does not replace them.
_BUILTINS = frozenset({"ref", "source", "var", "env_var", "config", "is_incremental", "this", "target",
                       "return", "log", "dbt", "execute", "run_query", "graph"})


class ProjectMacros:
    """The macros of a dbt project and its packages, from the manifest's `macros`, compiled once
    and bound to each rendering. A model calls them by package (`tally.changed_rows(...)`) or,
    for the root project's, by name; a package's macros also call each other by name."""

    def __init__(self, manifest_macros: dict[str, dict], root_package: str, adapter_type: str = "duckdb") -> None:
        self.root_package, self.adapter_type = root_package, adapter_type
        self.sources: dict[str, dict[str, str]] = {}  # package -> macro name -> macro_sql
        for raw in manifest_macros.values():
            package, name, sql = raw.get("package_name"), raw.get("name"), raw.get("macro_sql")
            if not (package and name and sql) or package in _ADAPTER_PACKAGES:
                continue
            if name.startswith(("materialization_", "test_")):
                continue  # `{% materialization %}` and `{% test %}` blocks are dbt's own syntax
            self.sources.setdefault(package, {})[name] = sql
        self._templates: dict[tuple[str, str], jinja2.Template | None] = {}

    @classmethod
    def from_manifest(cls, manifest: dict) -> "ProjectMacros":
        metadata = manifest.get("metadata") or {}
        return cls(manifest.get("macros") or {}, metadata.get("project_name") or "",
                   metadata.get("adapter_type") or "duckdb")

    def template(self, package: str, name: str) -> jinja2.Template | None:
        key = (package, name)
        if key not in self._templates:
            try:
                self._templates[key] = _ENV.from_string(self.sources[package][name])
            except _RENDER_ERRORS:
                self._templates[key] = None
        return self._templates[key]

    def bind(self, context: dict[str, Any], dispatch: bool = True) -> dict[str, Any]:
        """The names a rendering with `context` adds: one namespace per package and the root
        project's macros by name. Without `dispatch`, a macro that dispatches to an
        implementation per adapter stays opaque (as NULL)."""
        return _MacroScope(self, context, dispatch).names(self.root_package)


class _MacroScope:
    """The project's macros bound to one rendering's context."""

    def __init__(self, macros: ProjectMacros, context: dict[str, Any], dispatch: bool) -> None:
        self.macros, self.context, self.dispatch = macros, context, dispatch
        self.depth = self.calls = 0
        self._names: dict[str, dict[str, Any]] = {}
        self.namespaces = {package: _MacroNamespace(self, package) for package in macros.sources}

    def names(self, package: str) -> dict[str, Any]:
        """What a macro of `package` (or a model, for the root package) sees besides the context;
        built once per package and rendering."""
        names = self._names.get(package)
        if names is None:
            names = self._names[package] = {**self.namespaces, "adapter": _Adapter(self)}
            for name in self.macros.sources.get(package, {}):
                if name not in _BUILTINS:
                    names[name] = _BoundMacro(self, package, name)
        return names

    def call(self, package: str, name: str, args: tuple, kwargs: dict) -> Any:
        template = self.macros.template(package, name)
        if template is None or self.depth >= _MAX_MACRO_DEPTH or self.calls >= _MAX_MACRO_CALLS:
            return _Anything(name=name)
        self.depth += 1
        self.calls += 1
        try:
            module = template.make_module(vars={**self.context, **self.names(package)})
            return getattr(module, name)(*args, **kwargs)
        except _MacroReturn as returned:
            return returned.value
        except _RENDER_ERRORS:
            return _Anything(name=name)  # as an unknown macro: the statement still parses
        finally:
            self.depth -= 1


class _Adapter:
    """`adapter` in a macro: dispatch() as dbt resolves it (`<adapter>__name`, else
    `default__name`, in the namespace's package or the root project); nothing else."""

    def __init__(self, scope: _MacroScope) -> None:
        self._scope = scope

    def dispatch(self, macro_name: str, macro_namespace: str | None = None) -> Any:
        if macro_namespace == "dbt":
            return getattr(_CrossDatabaseMacros(), macro_name)
        if not self._scope.dispatch:
            return _Anything(name=macro_name)
        macros = self._scope.macros
        packages = [macro_namespace] if macro_namespace else []
        packages += [macros.root_package]
        for package in packages:
            for prefix in (macros.adapter_type, "default"):
                if f"{prefix}__{macro_name}" in macros.sources.get(package, {}):
                    return _BoundMacro(self._scope, package, f"{prefix}__{macro_name}")
        return _Anything(name=macro_name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything(name=name)


class _MacroNamespace:
    def __init__(self, scope: _MacroScope, package: str) -> None:
        self._scope, self._package = scope, package

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._scope.macros.sources.get(self._package, {}):
            return _BoundMacro(self._scope, self._package, name)
        return _Anything(name=name)


class _BoundMacro:
    def __init__(self, scope: _MacroScope, package: str, name: str) -> None:
        self._scope, self._package, self._name = scope, package, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._scope.call(self._package, self._name, args, kwargs)


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
    macros: ProjectMacros | None = None,
    dispatch: bool = True,
) -> str:
    """Render a model or analysis's raw Jinja with ref(), source(), var() and friends, and the
    project's own macros when given. `dispatch`: adapter.dispatch() picks the adapter's
    implementation; without it a dispatched macro stays opaque, for a portability check, since
    dbt renders each engine's own implementation there."""
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
        "return": _return,
        "log": lambda *a, **k: "",
        "dbt": _CrossDatabaseMacros(),
        "execute": False,  # as at dbt's parse: macros skip their queries
        "run_query": lambda *a, **k: None,
        "graph": {},
    }
    if macros is not None:
        context.update({k: v for k, v in macros.bind(context, dispatch).items() if k not in context})
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
