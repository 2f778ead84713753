"""Property tests: no query, however generated or mangled, makes the analysis or a rule raise.

Three properties, each run through the real analysis and every enabled rule, on the shared
context of Tally's own project (built once per session):

* random SELECTs over the real marts' columns: joins, CTEs, subqueries, aggregates, CASE,
  filters, GROUP BY, HAVING, window functions, set operations; a third of them shaped like one
  of the project's metrics (simple, ratio, derived, cumulative), nearly right (1,500 examples);
* our own SQL mutated: board queries, rule-fixture queries and models' Jinja, with tokens
  deleted, duplicated, swapped or inserted, random bytes inserted, and truncation, checked as a
  .sql file, as a board query and as the model itself (1,500 examples);
* boards mutated as YAML text (200 examples).

Generation is derandomised, so CI sees the same examples every run. Every exception these
found was fixed in tally; the input that found it is kept below as an `@example`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import signal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from tally.engine import check, enabled_rules
from tally.inputs.boards import read_board
from tally.inputs.collect import node_unit, text_unit
from tally.inputs.units import MODEL, SQL_FILE

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).parent / "fixtures" / "rules"

PROPERTY_SETTINGS = dict(
    derandomize=True,  # the same examples on every run: CI stays stable
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


# --- the project, once ---------------------------------------------------------------------------


@dataclasses.dataclass
class Mart:
    relation: str  # as a dashboard writes it: marts.fct_orders
    columns: dict[str, str]  # name -> kind: num, bool, time, text


_STATE: dict[str, object] = {}


def _kind(data_type: str | None) -> str:
    text = (data_type or "").lower()
    if "bool" in text:
        return "bool"
    if "date" in text or "time" in text:
        return "time"
    if any(word in text for word in ("int", "dec", "num", "double", "float", "real")):
        return "num"
    return "text"


@pytest.fixture(scope="session")
def project_state(warehouse_shared, warehouse_config, tmp_path_factory):
    """The shared context, every enabled rule, and the marts' columns for the generators."""
    if not _STATE:
        project = warehouse_shared.project
        marts = []
        for node in sorted(project.models(), key=lambda n: n.name):
            if project.layer_of(node) != "marts" or not node.columns:
                continue
            _database, schema, identifier = project.relation_parts(node)
            marts.append(Mart(f"{schema}.{identifier}", {c.name: _kind(c.data_type) for c in node.columns.values()}))
        _STATE.update(
            shared=warehouse_shared,
            rules=enabled_rules(warehouse_config),
            marts=marts,
            metrics=sorted(warehouse_shared.semantic.metrics),
            models=sorted((n for n in project.models() if n.raw_code), key=lambda n: n.name),
            board=tmp_path_factory.mktemp("properties") / "board.yml",
        )
    return _STATE


@contextlib.contextmanager
def _within(seconds: int):
    """Fail, instead of hanging the suite, when one check runs away (a board once looped forever)."""
    def expire(_signum, _frame):
        raise TimeoutError(f"one check ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_everything(units, model_units=()) -> None:
    """The engine's whole check of some units: analysis, every query and collection rule."""
    with _within(60):
        check(_STATE["shared"], list(units), list(model_units), _STATE["rules"], run_project_rules=False)


def check_sql_text(data: bytes) -> None:
    """As a .sql file: decoding, Jinja, analysis and rules."""
    run_everything([text_unit(_STATE["shared"].project, data, "generated.sql", "generated", SQL_FILE)])


def check_board_text(text: str | bytes) -> None:
    """As a dbt-charts board file: YAML, every query in it, labels from its charts."""
    path = _STATE["board"]
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    run_everything(read_board(path, "board.yml"))


def check_model_text(model_index: int, raw_code: str) -> None:
    """As the raw Jinja of one of the project's models (nothing compiled)."""
    models = _STATE["models"]
    node = models[model_index % len(models)]
    mutated = dataclasses.replace(node, raw_code=raw_code, compiled_code=None)
    run_everything([], [node_unit(_STATE["shared"].project, mutated, MODEL)])


# --- random SELECTs over the marts ------------------------------------------------------------------

METRIC_WORDS = ["revenue", "total_orders", "order_count", "customers", "aov", "conversion_rate", "Gross Revenue",
                "refund_rate", "sessions", "spend", "mrr", "x", "value"]
AGGREGATES = ["sum({n})", "avg({n})", "min({a})", "max({a})", "count(*)", "count({a})", "count(distinct {a})",
              "sum(case when {b} then {n} else 0 end)", "sum(case when {b} then 1 else 0 end)",
              "count(*) filter (where {b})", "sum({n}) / nullif(count(*), 0)", "sum({n}) * 1.0 / nullif(sum({n}), 0)",
              "approx_count_distinct({a})", "count(distinct case when {b} then {a} end)", "avg(distinct {n})",
              "sum({n}) filter (where {b})", "bool_or({b})", "sum(sum({n})) over ()", "median({n})",
              "round(sum({n}), 2)", "coalesce(sum({n}), 0)", "count_if({b})", "any_value({a})", "string_agg({t}, ',')"]
WINDOWS = ["row_number() over (partition by {a} order by {a2})", "sum({n}) over (partition by {a})",
           "lag({a}) over (order by {a2})", "rank() over (order by {n} desc)", "avg({n}) over (order by {a2} rows "
           "between 6 preceding and current row)", "count(*) over ()", "first_value({a}) over (partition by {a2})",
           "sum({n}) over (order by {a2} range between unbounded preceding and current row)"]
SCALARS = {
    "num": ["{n} + {n}", "{n} * 2", "{n} / nullif({n}, 0)", "cast({n} as double)", "coalesce({n}, 0)",
            "case when {b} then {n} else 0 end", "round({n}, 2)", "-{n}", "abs({n})", "{n}::decimal(18, 2)", "1",
            "0.5", "null", "greatest({n}, 0)", "extract(year from {d})"],
    "bool": ["not {b}", "{n} > 0", "{a} is null", "{a} is not null", "{t} = 'x'", "{t} in ('a', 'b', 'c')",
             "{b} and {b}", "{b} or {b}", "{d} >= date '2024-01-01'", "{n} between 1 and 10", "{t} like '%a%'",
             "{t} ilike 'A%'", "{b} = false", "{b} is true", "{b} <> true", "not ({b} or {b})", "true", "1 = 1",
             "{a} = {a}", "coalesce({b}, false)"],
    "time": ["date_trunc('month', {d})", "date_trunc('week', {d})", "cast({d} as date)", "{d}::date",
             "{d} + interval 1 day", "date_trunc('year', {d})", "strftime({d}, '%Y-%m')", "current_date",
             "date '2024-01-31'"],
    "text": ["upper({t})", "{t} || '-'", "cast({a} as varchar)", "coalesce({t}, 'none')", "'literal'",
             "lower(trim({t}))", "substr({t}, 1, 3)", "md5({t})", "concat({t}, {t})"],
}
DIMENSION_KINDS = ("text", "time", "bool")


class Picker:
    """Draws through Hypothesis (so examples shrink and replay) with a few cached strategies:
    building a strategy per draw made generation ten times slower than checking."""

    _integers: dict[tuple[int, int], st.SearchStrategy] = {}

    def __init__(self, draw) -> None:
        self._draw = draw

    def int(self, low: int, high: int) -> int:
        key = (low, high)
        if key not in self._integers:
            self._integers[key] = st.integers(low, high)
        return self._draw(self._integers[key])

    def pick(self, options):
        options = list(options)
        return options[self.int(0, len(options) - 1)]

    def chance(self, one_in: int) -> bool:
        return self.int(0, one_in - 1) == 0


Source = tuple[str, dict[str, str]]  # (alias or SQL, column -> kind)


def column(r: Picker, sources: list[Source], kind: str | None) -> str:
    alias, columns = r.pick(sources)
    names = [c for c, k in columns.items() if kind is None or k == kind] or list(columns) or ["missing_column"]
    name = "no_such_column" if r.chance(60) else r.pick(names)
    return name if r.chance(6) else f"{alias}.{name}"  # unqualified now and then, so maybe ambiguous


def expression(r: Picker, sources: list[Source], kind: str, depth: int = 0) -> str:
    if kind == "any":
        kind = r.pick(SCALARS)
    if depth > 2 or r.chance(3):
        return column(r, sources, kind)
    return fill(r, r.pick(SCALARS[kind]), sources, depth + 1)


SLOTS = {"n": "num", "b": "bool", "d": "time", "t": "text", "a": "any", "a2": "any"}


def fill(r: Picker, template: str, sources: list[Source], depth: int) -> str:
    return re.sub(r"\{(n|b|d|t|a2|a)\}", lambda m: expression(r, sources, SLOTS[m.group(1)], depth), template)


def predicate(r: Picker, sources: list[Source], depth: int) -> str:
    choice = r.int(0, 9)
    if choice == 0 and depth < 2:
        return f"exists (\n{select_query(r, depth + 1)[0]}\n)"
    if choice == 1 and depth < 2:
        sub = select_query(r, depth + 1, single_column=True)[0]
        return f"{column(r, sources, None)} {r.pick(['in', 'not in'])} (\n{sub}\n)"
    return expression(r, sources, "bool", 1)


ODD_RELATIONS = ["nowhere.unknown_table", "raw.orders", "read_parquet('x.parquet')", "generate_series(1, 3)",
                 "(values (1, 'a'), (2, 'b')) as v(n, t)", "marts.fct_orders tablesample 10%"]


def relation(r: Picker, depth: int, ctes: list[Source]) -> Source:
    choice = r.int(0, 9)
    if ctes and choice < 3:
        return r.pick(ctes)
    if choice == 3 and depth < 2:
        sub, columns = select_query(r, depth + 1)
        return f"(\n{sub}\n)", columns
    if choice == 4 and r.chance(5):
        return r.pick(ODD_RELATIONS), {"n": "num"}
    if choice == 5 and depth and r.chance(4):  # a table function, correlated in a lateral join
        return r.pick(["unnest([1, 2, 3])", "range(3)"]), {"unnest": "num", "range": "num"}
    mart: Mart = r.pick(_STATE["marts"])
    return mart.relation, dict(mart.columns)


def join_condition(r: Picker, left: Source, right: Source) -> str:
    (left_alias, left_columns), (right_alias, right_columns) = left, right
    shared = sorted(set(left_columns) & set(right_columns))
    keys = [c for c in shared if c.endswith("_id")] or shared
    if keys and not r.chance(5):
        key = r.pick(keys)
        condition = f"{left_alias}.{key} = {right_alias}.{key}"
    else:
        condition = (f"{left_alias}.{r.pick(sorted(left_columns) or ['x'])} = "
                     f"{right_alias}.{r.pick(sorted(right_columns) or ['x'])}")
    if r.chance(5):
        condition += f" and {expression(r, [right], 'bool', 1)}"
    return condition


JOINS = ["join", "left join", "inner join", "full outer join", "right join", "cross join", ",", "natural join",
         "join using", "asof join", "semi join", "anti join", "positional join"]
STARS = ["*", "t0.*", "* exclude (order_id)", "columns('.*_id')", "t0.* replace (1 as order_id)",
         "struct_pack(a := 1).a", "[x * 2 for x in [1, 2]]", "{'k': 1}['k']"]


def select_query(r: Picker, depth: int = 0, single_column: bool = False) -> tuple[str, dict[str, str]]:
    """(SQL, its output columns and their kinds)."""
    ctes: list[Source] = []
    with_clause = ""
    if depth < 2 and r.chance(4 + 3 * depth):
        parts = []
        for index in range(r.int(1, 2)):
            sql, columns = select_query(r, depth + 1)
            name = r.pick([f"cte_{depth}_{index}", "orders", "fct_orders", "base", "final"])
            if any(n == name for n, _ in ctes):
                name = f"{name}_{index}"
            parts.append(f"{name} as (\n{sql}\n)")
            ctes.append((name, columns))
        with_clause = ("with recursive " if r.chance(20) else "with ") + ",\n".join(parts) + "\n"

    first_sql, first_columns = relation(r, depth, ctes)
    sources: list[Source] = [("t0", first_columns)]
    from_clause = f"from {first_sql} as t0"
    for index in range(1, r.pick([0, 0, 1, 1, 2, 3]) + 1):
        sql, columns = relation(r, depth, ctes)
        alias, kind = f"t{index}", r.pick(JOINS)
        if kind in ("cross join", ",", "natural join", "positional join"):
            from_clause += f"\n{kind} {sql} as {alias}"
        elif kind == "join using":
            using = sorted(set(columns) & set(sources[-1][1])) or ["order_id"]
            from_clause += f"\njoin {sql} as {alias} using ({r.pick(using)})"
        else:
            from_clause += f"\n{kind} {sql} as {alias} on {join_condition(r, r.pick(sources), (alias, columns))}"
        sources.append((alias, columns))

    items: list[tuple[str, str]] = []  # (expression, kind)
    group_by = having = ""
    aggregated = r.chance(2)
    if aggregated:
        keys = [expression(r, sources, r.pick(DIMENSION_KINDS), 1) for _ in range(r.int(0, 3))]
        items += [(key, "text") for key in keys]
        for _ in range(1 if single_column and not keys else r.int(1, 4)):
            items.append((fill(r, r.pick(AGGREGATES), sources, 2), "num"))
        if keys:
            style = r.int(0, 5)
            group_by = ("group by all" if style == 0 else
                        "group by " + ", ".join(str(i + 1) for i in range(len(keys))) if style == 1 else
                        "group by rollup (" + ", ".join(keys) + ")" if style == 2 else
                        "group by grouping sets ((" + ", ".join(keys) + "), ())" if style == 3 else
                        "group by " + ", ".join(keys))
        if r.chance(6):
            having = f"having {fill(r, r.pick(AGGREGATES), sources, 2)} > 0"
    else:
        for _ in range(1 if single_column else r.int(1, 5)):
            roll = r.int(0, 9)
            if roll == 0:
                items.append((fill(r, r.pick(WINDOWS), sources, 2), "num"))
            elif roll == 1 and depth < 2:
                items.append((f"(\n{select_query(r, depth + 1, single_column=True)[0]}\n)", "num"))
            elif roll == 2 and not single_column:
                items.append((r.pick(STARS), "star"))
            else:
                kind = r.pick(SCALARS)
                items.append((expression(r, sources, kind), kind))

    names = METRIC_WORDS + _STATE["metrics"]
    outputs: dict[str, str] = {}
    select_items = []
    for index, (text, kind) in enumerate(items):
        if kind == "star":
            select_items.append(text)
            outputs.update(sources[0][1])
            continue
        name = re.sub(r"\W+", "_", r.pick(names) if not r.chance(3) else f"c{index}").lower()
        if name in outputs:
            name = f"{name}_{index}"
        outputs[name] = kind
        select_items.append(f"{text} as {name}" if not r.chance(10) else f'{text} as "{name}"')

    sql = f"{with_clause}select {'distinct ' if r.chance(10) else ''}" + ",\n       ".join(select_items)
    sql += f"\n{from_clause}"
    if r.chance(3):
        sql += f"\nwhere {predicate(r, sources, depth)}"
        if r.chance(2):
            sql += f" and {predicate(r, sources, depth)}"
    sql += f"\n{group_by}" if group_by else ""
    sql += f"\n{having}" if having else ""
    if not aggregated and r.chance(10):
        sql += f"\nqualify row_number() over (partition by {column(r, sources, None)}) = 1"
    if depth == 0 and r.chance(10):
        sql += f"\n{r.pick(['union all', 'union', 'except', 'intersect'])}\n{select_query(r, 1)[0]}"
    if r.chance(6):
        sql += "\norder by 1" + (" desc" if r.chance(2) else "")
    if r.chance(8):
        sql += f"\nlimit {r.int(0, 100)}"
    return sql, outputs


# --- queries shaped like the project's metrics, nearly right -----------------------------------------

FUNCTIONS = {"sum": "sum({})", "count": "count({})", "count_distinct": "count(distinct {})", "average": "avg({})",
             "min": "min({})", "max": "max({})", "sum_boolean": "sum(case when {} then 1 else 0 end)",
             "median": "median({})"}
GRAINS = ["day", "week", "month", "quarter", "year"]


def _relation_sql(unique_id: str) -> str:
    project = _STATE["shared"].project
    _database, schema, identifier = project.relation_parts(project.nodes[unique_id])
    return f"{schema}.{identifier}"


def _filters_sql(metric) -> list[str]:
    texts = []
    for predicate in metric.filters:
        copy = predicate.copy()
        for col in copy.find_all(exp.Column):
            col.set("table", None)
        texts.append(copy.sql(dialect="duckdb"))
    return texts


def _simple_parts(r: Picker, metric) -> tuple[str, str, list[str], str | None]:
    """(relation, aggregate, filters, time column) of a simple metric, perturbed now and then."""
    measure = metric.measure
    written = measure.agg_sql.partition("(")[0]  # the measure's agg as its YAML says: sum, count_distinct, ...
    func = written if written in FUNCTIONS and not r.chance(6) else r.pick(FUNCTIONS)
    argument = measure.expr_sql if not r.chance(8) else r.pick(list(r.pick(_STATE["marts"]).columns) or ["x"])
    if func == "count" and r.chance(4):
        argument = "*"
    filters = _filters_sql(metric)
    if filters and r.chance(4):
        filters.pop(r.int(0, len(filters) - 1))  # dropped
    if filters and r.chance(6):
        index = r.int(0, len(filters) - 1)
        filters[index] = f"not ({filters[index]})"  # changed
    if r.chance(6):
        filters.append(r.pick(["1 = 1", "true", "gross_revenue_usd > 0", "order_status <> 'x'"]))  # added
    time = measure.agg_time_column.name if measure.agg_time_column is not None else None
    if time and r.chance(8):
        time = r.pick(["order_date", "signup_date", "created_at", "month_start_date", "date_day"])
    return _relation_sql(measure.relation), FUNCTIONS[func].format(argument), filters, time


def _aggregate_with(r: Picker, aggregate: str, filters: list[str]) -> tuple[str, str]:
    """The aggregate with its filters as WHERE, as CASE inside it, or as FILTER: (expression, where)."""
    condition = " and ".join(filters)
    if not filters:
        return aggregate, ""
    style = r.int(0, 2)
    if style == 0:
        return aggregate, f"where {condition}"
    if style == 1 and "(" in aggregate and "*" not in aggregate and "distinct" not in aggregate:
        func, _, rest = aggregate.partition("(")
        return f"{func}(case when {condition} then {rest[:-1]} end)", ""
    return f"{aggregate} filter (where {condition})", ""


def _simple_query(r: Picker, metric, alias: str, grain: str | None) -> str:
    relation, aggregate, filters, time = _simple_parts(r, metric)
    expression, where = _aggregate_with(r, aggregate, filters)
    if metric.type == "cumulative" and r.chance(2):
        expression = f"sum({expression}) over (order by 1 rows between unbounded preceding and current row)"
    if grain and time:
        return (f"select date_trunc('{grain}', {time}) as period, {expression} as {alias}\n"
                f"from {relation}\n{where}\ngroup by 1")
    return f"select {expression} as {alias}\nfrom {relation}\n{where}"


def _simple_metric(metric):
    return metric is not None and metric.type in ("simple", "cumulative") and metric.measure is not None


def metric_query(r: Picker) -> str:
    """A query computing one of the project's metrics, its way or nearly."""
    metrics = _STATE["shared"].semantic.metrics
    metric = metrics[r.pick(sorted(metrics))]
    alias = metric.name if not r.chance(5) else r.pick([metric.label, f"total_{metric.name}", "value"])
    alias = re.sub(r"\W+", "_", alias).lower()
    grain = r.pick(GRAINS) if r.chance(2) else None
    if _simple_metric(metric):
        return _simple_query(r, metric, alias, grain)
    inputs = {}
    if metric.type == "ratio":
        inputs = {"numerator": metrics.get(metric.numerator or ""),
                  "denominator": metrics.get(metric.denominator or "")}
        formula = "numerator * 1.0 / nullif(denominator, 0)" if not r.chance(4) else "avg(numerator / denominator)"
    elif metric.type == "derived":
        inputs = {name: metrics.get(name) for name in metric.inputs}
        formula = metric.expr or ""
        if r.chance(5):
            formula = formula.replace("-", "+").replace("/", "*")
    else:  # conversion and anything newer: a plain guess at it
        return f"select count(distinct customer_id) * 1.0 / nullif(count(*), 0) as {alias} from marts.fct_sessions"
    if not all(_simple_metric(m) for m in inputs.values()):
        return f"select 1 as {alias}"
    # each input aggregated in its own CTE, then combined (joined on the period when grouped)
    ctes, columns = [], {}
    for index, (name, input_metric) in enumerate(inputs.items()):
        ctes.append(f"input_{index} as (\n{_simple_query(r, input_metric, name, grain)}\n)")
        columns[name] = f"input_{index}.{name}"
    expression = re.sub(r"\b(" + "|".join(map(re.escape, columns)) + r")\b", lambda m: columns[m.group(1)], formula)
    sources = [f"input_{i}" for i in range(len(inputs))]
    if grain:
        joins = "\n".join(f"join {s} on {s}.period = input_0.period" for s in sources[1:])
        return (f"with {', '.join(ctes)}\nselect input_0.period, {expression} as {alias}\nfrom input_0\n{joins}")
    return f"with {', '.join(ctes)}\nselect {expression} as {alias}\nfrom {', '.join(sources)}"


def generated_query(draw) -> str:
    r = Picker(draw)
    return metric_query(r) if r.chance(3) else select_query(r)[0]


generated_queries = st.composite(generated_query)()


@settings(max_examples=1500, **PROPERTY_SETTINGS)
@given(sql=generated_queries)
def test_generated_selects_never_raise(project_state, sql):
    check_sql_text(sql.encode())


# --- our own SQL, mutated ------------------------------------------------------------------------------


def _board_queries(text: str) -> list[str]:
    try:
        board = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return []
    found = []
    for value in (board.get("queries") or {}).values() if isinstance(board, dict) else []:
        sql = value.get("sql") if isinstance(value, dict) else value
        if isinstance(sql, str):
            found.append(sql)
    return found


def _seed_boards() -> list[str]:
    boards = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "charts").rglob("*.y*ml"))]
    for path in sorted(FIXTURES.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")).get("cases", []):
            if "board" in case:
                boards.append(case["board"])
    return boards or ["queries:\n  q: select count(*) as orders from marts.fct_orders\n"]


def _seed_queries() -> list[str]:
    queries = [q for board in _seed_boards() for q in _board_queries(board)]
    queries += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "analyses").rglob("*.sql"))]
    for path in sorted(FIXTURES.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")).get("cases", []):
            if "sql" in case:
                queries.append(case["sql"])
    queries += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "models").rglob("*.sql"))]
    return queries


SEED_QUERIES = _seed_queries()
SEED_BOARDS = _seed_boards()
TOKENS = re.compile(r"\s+|\w+|'[^'\n]*'|\{\{|\}\}|\{%|%\}|::|<>|[<>!]=|\|\||.", re.S)
INSERTABLE = ["select", "from", "where", "(", ")", ",", "join", "on", "group by", "union", "{{", "}}", "{%", "%}",
              "'", '"', "--", "/*", "*/", ";", "case", "end", "over", "sum(", "count(distinct", "::", "qualify",
              "with", "as", "*", "ref('fct_orders')", "\n", "\x00", "\ufeff", "Dimension(", "-- tally: ignore[MC002]",
              "-- tally: ignore[] because", "lateral", "exists", "not", "null", "interval", "[", "]", "{", "}",
              "$1", "?", "`", "\\", "\u00e9", "\U0001f600"]


# Replacements that keep a query parseable but change what it means.
SWAPS = [("sum", "avg", "count", "min", "max"), ("and", "or"), ("left", "inner", "full", "right", "cross"),
         ("true", "false", "null"), ("=", "<>", "<", ">="), ("asc", "desc"), ("day", "month", "week", "year"),
         ("union", "intersect", "except"), ("where", "having", "qualify"), ("not", "")]


@st.composite
def mutation(draw, text: str) -> bytes:
    tokens = TOKENS.findall(text) or [""]
    words = sorted({t for t in tokens if t[:1].isalpha()}) or ["x"]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "delete_run", "duplicate", "swap", "insert", "truncate", "bytes",
                                   "rename", "rename", "keyword", "keyword", "keyword"]))
        position = draw(st.integers(0, max(0, len(tokens) - 1)))
        if op == "rename":  # another identifier of the same query: a column, a table, an alias
            candidates = [i for i, t in enumerate(tokens) if t[:1].isalpha()]
            if candidates:
                tokens[draw(st.sampled_from(candidates))] = draw(st.sampled_from(words))
            continue
        if op == "keyword":
            lowered = [t.lower() for t in tokens]
            candidates = [(i, group) for i, t in enumerate(lowered) for group in SWAPS if t in group]
            if candidates:
                index, group = draw(st.sampled_from(candidates))
                tokens[index] = draw(st.sampled_from(group))
            continue
        if op == "delete" and tokens:
            del tokens[position]
        elif op == "delete_run":
            del tokens[position:position + draw(st.integers(1, 20))]
        elif op == "duplicate" and tokens:
            tokens[position:position] = tokens[position:position + draw(st.integers(1, 8))]
        elif op == "swap" and len(tokens) > 1:
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[position], tokens[other] = tokens[other], tokens[position]
        elif op == "insert":
            tokens.insert(position, draw(st.sampled_from(INSERTABLE)))
        elif op == "truncate":
            tokens = tokens[:position]
        elif op == "bytes":
            tokens.insert(position, draw(st.binary(min_size=1, max_size=6)).replace(b"\x00", b"").decode("latin-1"))
    data = "".join(tokens).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 19)) == 0:  # raw bytes, possibly not UTF-8
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(min_size=1, max_size=8)) + data[cut:]
    return data


mutated_queries = st.sampled_from(SEED_QUERIES).flatmap(mutation)


@settings(max_examples=1500, **PROPERTY_SETTINGS)
@given(data=mutated_queries, as_what=st.sampled_from(["sql", "board", "model"]), model=st.integers(0, 10_000))
# Jinja that raises while rendering escaped as ZeroDivisionError, RecursionError, TypeError.
@example(data=b"select {{ 1 / 0 }} as boom from {{ ref('fct_orders') }}", as_what="sql", model=0)
@example(data=b"{% macro m() %}{{ m() }}{% endmacro %}select {{ m() }} as boom", as_what="model", model=3)
@example(data=b"{% include 'x.sql' %}select 1 as one", as_what="board", model=0)
# One alias used twice: sqlglot's scope raised OptimizeError in the aggregate step.
@example(data=b"select c.email, sum(o.gross_revenue_usd) as revenue\nfrom staging.stg_shop__customers as o\n"
              b"join marts.fct_orders as o on o.customer_id = c.customer_id\ngroup by 1\n", as_what="sql", model=0)
def test_mutated_queries_never_raise(project_state, data, as_what, model):
    if as_what == "sql":
        check_sql_text(data)
    elif as_what == "board":
        text = data.decode("utf-8", "replace")
        check_board_text("queries:\n  q: |\n" + "".join(f"    {line}\n" for line in text.splitlines()))
    else:
        check_model_text(model, data.decode("utf-8", "replace"))


mutated_boards = st.sampled_from(SEED_BOARDS).flatmap(mutation)


@settings(max_examples=200, **PROPERTY_SETTINGS)
@given(data=mutated_boards)
# A layout that is a cycle through YAML aliases: the chart walk looped forever.
@example(data=b"queries:\n  q: select count(*) as orders from marts.fct_orders\n"
              b"rows: &r [*r, {type: bar, query: q, y: orders}]\n")
# `sql:` that is not text: YAML null was parsed as the SQL `~`.
@example(data=b"queries:\n  q:\n    sql: ~\n  r: 42\n  s: [select 1]\n")
def test_mutated_boards_never_raise(project_state, data):
    check_board_text(data)
