"""A synthetic dbt project for the linter benchmark: layered models, marts, metrics and boards.

Deterministic for a given (models, queries, seed): the same files byte for byte on every run.

    sources   <system>_<region> (raw tables: ids, statuses, minor-unit amounts, local timestamps)
      -> staging        stg_<source>__<entity>s      one per source table; rename, cast, categorise
      -> intermediate   int_<source>__<entity>s_...  joined, aggregated, sequenced, validated, enriched
      -> marts          fct_/dim_<source>__<entity>s contracts, grain, keys; dim_dates is the time spine
      -> semantic models and metrics over a few dozen facts
      -> boards         charts/<board>.yml, five queries each, most conforming, some drifting

Every model's output columns are tracked here, so later layers select real columns and the
benchmark can hand bare sqlglot the same schema tally sees. The project also carries its own
`pyproject.toml` ([tool.tally]), `.sqlfluff` (jinja templater) and `profiles.yml` (DuckDB).
"""

from __future__ import annotations

import json
import math
import random
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

DIALECT = "duckdb"
DATABASE = "bench"  # the DuckDB file is bench.duckdb, so dbt names relations "bench"."<schema>"."<name>"
QUERIES_PER_BOARD = 5
DRIFT_RATE = 0.3  # share of metric queries that drift from the metric's definition

SYSTEMS = ("shop", "billing", "crm", "support", "logistics", "marketing", "inventory", "payments", "web", "people")
REGIONS = ("us", "eu", "uk", "apac", "latam", "mena", "nordics", "anz")

# (entity, preferred parents): the first parent present in a source is used; customer otherwise.
ENTITIES = (
    ("customer", ()),
    ("account", ("customer",)),
    ("order", ("customer",)),
    ("order_item", ("order", "product")),
    ("product", ()),
    ("invoice", ("customer", "subscription")),
    ("invoice_line", ("invoice",)),
    ("payment", ("invoice", "order")),
    ("refund", ("payment", "order")),
    ("shipment", ("order",)),
    ("return", ("order", "shipment")),
    ("ticket", ("customer",)),
    ("ticket_comment", ("ticket",)),
    ("subscription", ("customer", "account")),
    ("plan_change", ("subscription",)),
    ("campaign", ()),
    ("ad_click", ("campaign",)),
    ("session", ("customer",)),
    ("page_view", ("session",)),
    ("contract", ("account", "customer")),
    ("lead", ("campaign",)),
    ("opportunity", ("lead", "account")),
    ("quote", ("opportunity",)),
    ("credit_note", ("invoice",)),
    ("transfer", ("account",)),
    ("review", ("product", "order")),
    ("coupon_redemption", ("order",)),
    ("device", ("customer",)),
    ("message", ("ticket", "customer")),
    ("appointment", ("customer",)),
)
PARENTS = dict(ENTITIES)

BIGINT, VARCHAR, MONEY, INTEGER, BOOLEAN, TIMESTAMP, DATE, DOUBLE = (
    "bigint", "varchar", "decimal(18,2)", "integer", "boolean", "timestamp", "date", "double",
)

STATUSES = ("placed", "active", "open", "closed", "cancelled", "pending", "failed", "completed")


def plural(entity: str) -> str:
    return entity + "s"


@dataclass
class Column:
    name: str
    type: str
    description: str = ""


@dataclass
class Entity:
    """A raw table in one source: its raw columns and the attributes staging derives."""

    source: str
    name: str
    parents: list[str]
    raw: list[tuple[str, str]]  # (raw column, type)
    attributes: set[str]

    @property
    def table(self) -> str:
        return plural(self.name)

    def has(self, attribute: str) -> bool:
        return attribute in self.attributes


@dataclass
class Model:
    name: str
    layer: str  # staging, intermediate, marts
    folder: str  # under models/
    sql: str
    columns: list[Column]
    description: str
    entity: Entity | None = None
    kind: str = ""  # staging, joined, aggregated, sequenced, validated, enriched, daily, fct, dim, spine
    primary_key: str | None = None
    foreign_keys: dict[str, str] = field(default_factory=dict)  # column -> mart it points at

    @property
    def path(self) -> str:
        return f"models/{self.folder}/{self.name}.sql"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass
class SemanticModel:
    name: str
    mart: Model
    entity: str
    metrics: dict[str, dict]  # metric name -> {"label", "kind", "column", "filters"}
    filter_columns: list[str]
    time_column: str


@dataclass
class BoardQuery:
    board: str
    name: str
    sql: str
    chart: dict
    drift: str | None = None  # what was changed from the metric's definition, when anything


@dataclass
class SyntheticProject:
    root: Path
    models: list[Model]
    sources: dict[str, list[Entity]]
    semantic_models: list[SemanticModel]
    boards: dict[str, list[BoardQuery]]

    @property
    def queries(self) -> list[BoardQuery]:
        return [q for qs in self.boards.values() for q in qs]

    def schema_of(self) -> dict[str, dict[str, str]]:
        """Every relation's columns and types, keyed '<database>.<schema>.<identifier>'."""
        tables: dict[str, dict[str, str]] = {}
        for source, entities in self.sources.items():
            for entity in entities:
                tables[f"{DATABASE}.raw_{source}.{entity.table}"] = dict(entity.raw)
        for model in self.models:
            tables[f"{DATABASE}.{model.layer}.{model.name}"] = {c.name: c.type for c in model.columns}
        return tables


# --- entities and sources ------------------------------------------------------------------------


def _entities_for(source: str, count: int, rng: random.Random) -> list[Entity]:
    names = ["customer"] + rng.sample([e for e, _ in ENTITIES[1:]], min(count - 1, len(ENTITIES) - 1))
    while len(names) < count:  # more tables than nouns: regional copies
        names.append(f"{rng.choice(names[1:])}_{len(names)}")
    entities = []
    for name in names:
        base = name.rsplit("_", 1)[0] if name[-1].isdigit() else name
        parents = [p for p in PARENTS.get(base, ()) if p in names and p != name][:2]
        if not parents and name != "customer" and rng.random() < 0.7:
            parents = ["customer"]
        if parents and len(parents) < 2 and rng.random() < 0.25 and "customer" not in parents and name != "customer":
            parents.append("customer")
        attributes = {"created_at"}
        for attribute, chance in (("status", 0.8), ("channel", 0.5), ("country", 0.4), ("category", 0.4),
                                  ("amount", 0.75), ("fee", 0.3), ("tax", 0.3), ("quantity", 0.35),
                                  ("score", 0.2), ("is_test", 0.6), ("updated_at", 0.8),
                                  ("closed_at", 0.3), ("deleted_at", 0.3)):
            if rng.random() < chance:
                attributes.add(attribute)
        if name == "customer":
            attributes |= {"is_test", "country", "channel", "status"}
            attributes.discard("amount")
        raw = [("id", BIGINT)] + [(f"{p}_id", BIGINT) for p in parents]
        for attribute, column, ctype in (
            ("status", "status", VARCHAR), ("channel", "channel", VARCHAR), ("country", "country", VARCHAR),
            ("category", "category", VARCHAR), ("amount", "amount_minor", BIGINT), ("fee", "fee_minor", BIGINT),
            ("tax", "tax_minor", BIGINT), ("quantity", "quantity", INTEGER), ("score", "score", DOUBLE),
            ("is_test", "is_test", BOOLEAN), ("created_at", "created_at", TIMESTAMP),
            ("updated_at", "updated_at", TIMESTAMP), ("closed_at", "closed_at", TIMESTAMP),
            ("deleted_at", "deleted_at", TIMESTAMP),
        ):
            if attribute in attributes:
                raw.append((column, ctype))
        if attributes & {"amount", "fee", "tax"}:
            raw.append(("currency", VARCHAR))
        raw.append(("_loaded_at", TIMESTAMP))
        entities.append(Entity(source, name, parents, raw, attributes))
    return entities


# --- staging ----------------------------------------------------------------------------------------


def _staging(entity: Entity, rng: random.Random) -> Model:
    e = entity.name
    groups: dict[str, list[tuple[str, Column]]] = {"ids": [], "strings": [], "numerics": [], "booleans": [],
                                                   "timestamps": []}
    groups["ids"].append((f"id as {e}_id", Column(f"{e}_id", BIGINT, f"The {e}'s id in {entity.source}.")))
    for parent in entity.parents:
        groups["ids"].append((f"{parent}_id", Column(f"{parent}_id", BIGINT, f"The {parent} this {e} belongs to.")))
    if entity.has("status"):
        groups["strings"].append((f"lower(status) as {e}_status", Column(f"{e}_status", VARCHAR, "Latest status.")))
        groups["booleans"].append(("lower(status) = 'cancelled' as is_cancelled",
                                   Column("is_cancelled", BOOLEAN, "True when cancelled.")))
    if entity.has("channel"):
        groups["strings"].append(("lower(trim(channel)) as channel", Column("channel", VARCHAR, "Channel.")))
        groups["strings"].append((
            "case\n            when lower(channel) in ('web', 'app', 'email') then 'online'\n"
            "            when lower(channel) in ('store', 'phone') then 'offline'\n"
            "            else 'other'\n        end as channel_group",
            Column("channel_group", VARCHAR, "online, offline or other.")))
    if entity.has("country"):
        groups["strings"].append(("upper(country) as country_code", Column("country_code", VARCHAR, "ISO country.")))
    if entity.has("category"):
        groups["strings"].append(("coalesce(category, 'unknown') as category", Column("category", VARCHAR, "Category.")))
    if "currency" in dict(entity.raw):
        groups["strings"].append(("upper(currency) as currency_code", Column("currency_code", VARCHAR, "ISO currency.")))
    for attribute, raw, name in (("amount", "amount_minor", "amount"), ("fee", "fee_minor", "fee_amount"),
                                 ("tax", "tax_minor", "tax_amount")):
        if entity.has(attribute):
            groups["numerics"].append((f"cast({raw} as decimal(18, 2)) / 100 as {name}",
                                       Column(name, MONEY, f"{name.replace('_', ' ').capitalize()}, in major units.")))
    if entity.has("quantity"):
        groups["numerics"].append(("cast(quantity as integer) as quantity", Column("quantity", INTEGER, "Units.")))
    if entity.has("score"):
        groups["numerics"].append(("round(score, 2) as score", Column("score", DOUBLE, "Score, 0 to 10.")))
    if entity.has("is_test"):
        groups["booleans"].append(("coalesce(is_test, false) as is_test_account",
                                   Column("is_test_account", BOOLEAN, "True for internal and QA accounts.")))
    if entity.has("deleted_at"):
        groups["booleans"].append(("deleted_at is not null as is_deleted", Column("is_deleted", BOOLEAN, "Soft-deleted.")))
    groups["timestamps"].append(("cast(created_at as timestamp) as created_at", Column("created_at", TIMESTAMP, "UTC.")))
    groups["timestamps"].append(("cast(created_at as date) as created_date", Column("created_date", DATE, "UTC date.")))
    for name in ("updated_at", "closed_at", "deleted_at"):
        if entity.has(name):
            groups["timestamps"].append((f"cast({name} as timestamp) as {name}", Column(name, TIMESTAMP, "UTC.")))
    groups["timestamps"].append(("_loaded_at as loaded_at", Column("loaded_at", TIMESTAMP, "When loaded.")))

    lines, columns = [], []
    for banner, items in groups.items():
        if not items:
            continue
        lines.append(f"        ----------  {banner}")
        for text, column in items:
            lines.append(f"        {text},")
            columns.append(column)
        lines.append("")
    select_list = "\n".join(lines).rstrip().rstrip(",")
    dedupe = entity.has("updated_at") and rng.random() < 0.35
    upstream = "deduplicated" if dedupe else "source"
    ctes = [f"source as (\n\n    select * from {{{{ source('{entity.source}', '{entity.table}') }}}}\n\n)"]
    if dedupe:
        ctes.append(
            "deduplicated as (\n\n    -- one row per change; keep the latest version of each row\n"
            "    select *\n    from (\n        select\n            *,\n"
            "            row_number() over (partition by id order by updated_at desc, _loaded_at desc) as version_rank\n"
            "        from source\n    ) as versions\n    where version_rank = 1\n\n)"
        )
    ctes.append(f"renamed as (\n\n    select\n\n{select_list}\n\n    from {upstream}\n\n)")
    sql = "with\n\n" + ",\n\n".join(ctes) + "\n\nselect * from renamed\n"
    name = f"stg_{entity.source}__{entity.table}"
    return Model(name, "staging", f"staging/{entity.source}", sql, columns,
                 f"{plural(e).capitalize()} from {entity.source}, renamed and cast. One row per {e}.",
                 entity=entity, kind="staging", primary_key=f"{e}_id")


# --- intermediate -----------------------------------------------------------------------------------


def _import(cte: str, model: Model) -> str:
    return f"{cte} as (\n\n    select * from {{{{ ref('{model.name}') }}}}\n\n)"


def _wrap(ctes: list[str], final: str) -> str:
    return "with\n\n" + ",\n\n".join(ctes) + f"\n\nselect * from {final}\n"


def _int_joined(entity: Entity, base: Model, parent: Model) -> Model:
    e, p = plural(entity.name), plural(parent.entity.name)
    key = f"{parent.entity.name}_id"
    picked = [c for c in parent.columns if c.name not in base.names() and c.name != key][:4]
    if "is_test_account" in parent.names() and "is_test_account" not in base.names():
        picked = [parent.column("is_test_account")] + [c for c in picked if c.name != "is_test_account"][:3]
    lines = [f"        {e}.{c.name}" for c in base.columns]
    extra = []
    for c in picked:
        alias = c.name if c.name.startswith(("is_", parent.entity.name)) else f"{parent.entity.name}_{c.name}"
        if alias in base.names() or any(x.name == alias for x in extra):
            continue
        lines.append(f"        {p}.{c.name} as {alias}" if alias != c.name else f"        {p}.{c.name}")
        extra.append(Column(alias, c.type, f"From the {parent.entity.name}: {c.description}"))
    body = (f"joined as (\n\n    select\n" + ",\n".join(lines) + f"\n    from {e}\n    left join {p}\n"
            f"        on {e}.{key} = {p}.{key}\n\n)")
    sql = _wrap([_import(e, base), _import(p, parent), body], "joined")
    name = f"int_{entity.source}__{e}_joined_to_{p}"
    return Model(name, "intermediate", f"intermediate/{entity.source}", sql, base.columns + extra,
                 f"{e.capitalize()} with the attributes of their {parent.entity.name}.", entity=entity,
                 kind="joined", primary_key=base.primary_key)


def _int_aggregated(entity: Entity, base: Model, parent_name: str) -> Model:
    e = entity.name
    key = f"{parent_name}_id"
    items = [(key, Column(key, BIGINT, f"The {parent_name}."))]
    items.append((f"count(*) as {e}_count", Column(f"{e}_count", BIGINT, f"Number of {plural(e)}.")))
    if "channel" in base.names():
        items.append((f"count(distinct channel) as {e}_channel_count", Column(f"{e}_channel_count", BIGINT, "Channels.")))
    if "amount" in base.names():
        items.append((f"sum(amount) as total_{e}_amount", Column(f"total_{e}_amount", MONEY, "Sum of amounts.")))
        items.append((f"max(amount) as largest_{e}_amount", Column(f"largest_{e}_amount", MONEY, "Largest amount.")))
    if "is_cancelled" in base.names():
        items.append((f"sum(case when is_cancelled then 1 else 0 end) as cancelled_{e}_count",
                      Column(f"cancelled_{e}_count", BIGINT, "Cancelled ones.")))
    if "score" in base.names():
        items.append((f"avg(score) as average_{e}_score", Column(f"average_{e}_score", DOUBLE, "Mean score.")))
    items.append((f"min(created_at) as first_{e}_at", Column(f"first_{e}_at", TIMESTAMP, "Earliest.")))
    items.append((f"max(created_at) as last_{e}_at", Column(f"last_{e}_at", TIMESTAMP, "Latest.")))
    where = "\n    where not is_test_account" if "is_test_account" in base.names() else ""
    body = ("aggregated as (\n\n    select\n" + ",\n".join(f"        {text}" for text, _ in items)
            + f"\n    from {plural(e)}{where}\n    group by {key}\n\n)")
    sql = _wrap([_import(plural(e), base), body], "aggregated")
    name = f"int_{entity.source}__{plural(e)}_aggregated_to_{plural(parent_name)}"
    return Model(name, "intermediate", f"intermediate/{entity.source}", sql, [c for _, c in items],
                 f"{plural(e).capitalize()} rolled up to one row per {parent_name}.", entity=entity,
                 kind="aggregated", primary_key=key)


def _int_sequenced(entity: Entity, base: Model, parent_name: str, incremental: bool) -> Model:
    e = entity.name
    key = f"{parent_name}_id"
    window = f"partition by {key} order by created_at"
    items = [
        (f"row_number() over ({window}) as {e}_sequence_number", Column(f"{e}_sequence_number", BIGINT, "1 for the first.")),
        (f"lag(created_at) over ({window}) as previous_{e}_at", Column(f"previous_{e}_at", TIMESTAMP, "The one before.")),
    ]
    if "amount" in base.names():
        items.append((f"sum(amount) over ({window} rows between unbounded preceding and current row) "
                      f"as cumulative_{e}_amount", Column(f"cumulative_{e}_amount", MONEY, "Running total.")))
    select = ",\n".join([f"        {plural(e)}.{c.name}" for c in base.columns] + [f"        {t}" for t, _ in items])
    where = ""
    config = ""
    if incremental and "updated_at" in base.names():
        config = f"{{{{ config(materialized='incremental', unique_key='{e}_id') }}}}\n\n"
        where = ("\n    {% if is_incremental() %}\n    where updated_at > (select max(updated_at) from {{ this }})"
                 "\n    {% endif %}")
    body = f"sequenced as (\n\n    select\n{select}\n    from {plural(e)}{where}\n\n)"
    sql = config + _wrap([_import(plural(e), base), body], "sequenced")
    name = f"int_{entity.source}__{plural(e)}_sequenced_per_{parent_name}"
    return Model(name, "intermediate", f"intermediate/{entity.source}", sql, base.columns + [c for _, c in items],
                 f"{plural(e).capitalize()} numbered in order within each {parent_name}.", entity=entity,
                 kind="sequenced", primary_key=base.primary_key)


def _int_validated(entity: Entity, base: Model) -> Model:
    e = entity.name
    checks = [f"when {e}_id is null then 'missing_id'"]
    if "amount" in base.names():
        checks.append("when amount < 0 then 'negative_amount'")
    if "closed_at" in base.names():
        checks.append("when closed_at < created_at then 'closed_before_created'")
    checks.append("when created_at > current_timestamp then 'created_in_future'")
    case = "case\n            " + "\n            ".join(checks) + "\n            else 'valid'\n        end"
    select = ",\n".join([f"        {c.name}" for c in base.columns] + [f"        {case} as validation_status"])
    body = f"checked as (\n\n    select\n{select}\n    from {plural(e)}\n\n)"
    final = "valid as (\n\n    select *\n    from checked\n    where validation_status = 'valid'\n\n)"
    sql = _wrap([_import(plural(e), base), body, final], "valid")
    name = f"int_{entity.source}__{plural(e)}_validated"
    return Model(name, "intermediate", f"intermediate/{entity.source}", sql,
                 base.columns + [Column("validation_status", VARCHAR, "Always 'valid' here.")],
                 f"{plural(e).capitalize()} that pass validation; the rest go to quarantine.", entity=entity,
                 kind="validated", primary_key=base.primary_key)


def _int_daily(entity: Entity, base: Model) -> Model:
    e = entity.name
    items = [("created_date", Column("created_date", DATE, "The day.")),
             (f"count(*) as {e}_count", Column(f"{e}_count", BIGINT, "Rows that day."))]
    if "amount" in base.names():
        items.append((f"sum(amount) as {e}_amount", Column(f"{e}_amount", MONEY, "Amount that day.")))
    body = ("daily as (\n\n    select\n" + ",\n".join(f"        {t}" for t, _ in items)
            + f"\n    from {plural(e)}\n    group by created_date\n\n)")
    sql = _wrap([_import(plural(e), base), body], "daily")
    name = f"int_{entity.source}__{plural(e)}_summarised_daily"
    return Model(name, "intermediate", f"intermediate/{entity.source}", sql, [c for _, c in items],
                 f"{plural(e).capitalize()} per day.", entity=entity, kind="daily", primary_key="created_date")


def _int_enriched(entity: Entity, base: Model, children: list[Model]) -> Model:
    e = plural(entity.name)
    key = f"{entity.name}_id"
    ctes = [_import(e, base)]
    lines = [f"        {e}.{c.name}" for c in base.columns]
    columns = list(base.columns)
    joins = []
    for child in children:
        cte = f"{plural(child.entity.name)}_per_{entity.name}"
        ctes.append(_import(cte, child))
        for c in child.columns:
            if c.name == key or c.name in [x.name for x in columns]:
                continue
            if c.name.endswith("_count"):
                lines.append(f"        coalesce({cte}.{c.name}, 0) as {c.name}")
            else:
                lines.append(f"        {cte}.{c.name}")
            columns.append(c)
        joins.append(f"    left join {cte}\n        on {e}.{key} = {cte}.{key}")
    body = f"enriched as (\n\n    select\n" + ",\n".join(lines) + f"\n    from {e}\n" + "\n".join(joins) + "\n\n)"
    sql = _wrap(ctes + [body], "enriched")
    name = f"int_{entity.source}__{e}_enriched"
    return Model(name, "intermediate", f"intermediate/{entity.source}", sql, columns,
                 f"{e.capitalize()} with the roll-ups of what belongs to them.", entity=entity, kind="enriched",
                 primary_key=base.primary_key)


# --- marts ------------------------------------------------------------------------------------------


def _mart(entity: Entity, base: Model, kind: str, system: str) -> Model:
    e = plural(entity.name)
    lines = []
    columns = []
    for c in base.columns:
        if c.name in ("validation_status", "loaded_at"):
            continue
        sql_type = c.type.replace(",", ", ")
        lines.append(f"        cast({c.name} as {sql_type}) as {c.name}")
        columns.append(Column(c.name, c.type, c.description))
    body = f"final as (\n\n    select\n" + ",\n".join(lines) + f"\n    from {e}\n\n)"
    sql = _wrap([_import(e, base), body], "final")
    name = f"{kind}_{entity.source}__{e}"
    grain = f"one row per {entity.name}_id"
    return Model(name, "marts", f"marts/{system}", sql, columns,
                 f"{e.replace('_', ' ').capitalize()} of {entity.source}. Grain: {grain}.", entity=entity,
                 kind=kind, primary_key=f"{entity.name}_id")


def _dim_dates() -> Model:
    sql = textwrap.dedent("""\
        with

        days as (

            select cast(range as date) as date_day
            from range(date '2020-01-01', date '2031-01-01', interval 1 day)

        ),

        final as (

            select
                date_day,
                cast(date_trunc('week', date_day) as date) as week_start,
                cast(date_trunc('month', date_day) as date) as month_start,
                cast(date_trunc('year', date_day) as date) as year_start
            from days

        )

        select * from final
        """)
    columns = [Column("date_day", DATE, "The day. Primary key."), Column("week_start", DATE, "Monday of its week."),
               Column("month_start", DATE, "First of its month."), Column("year_start", DATE, "First of its year.")]
    return Model("dim_dates", "marts", "marts/calendar", sql, columns,
                 "One row per calendar day, UTC; MetricFlow's time spine. Grain: one row per date_day.",
                 kind="spine", primary_key="date_day")


# --- the project ------------------------------------------------------------------------------------


def _layer_counts(models: int) -> tuple[int, int, int]:
    staging = max(2, round(models * 0.4))
    intermediate = max(1, round(models * 0.35))
    marts = max(2, models - staging - intermediate)
    return staging, intermediate, marts


def generate(root: Path, models: int = 2000, queries: int = 2000, seed: int = 7) -> SyntheticProject:
    """Write the project under `root` (emptied first) and return what was written."""
    rng = random.Random(seed)
    n_staging, n_intermediate, n_marts = _layer_counts(models)
    n_sources = max(1, min(len(SYSTEMS) * len(REGIONS), math.ceil(n_staging / 20)))
    per_source = [n_staging // n_sources + (1 if i < n_staging % n_sources else 0) for i in range(n_sources)]
    source_names = [f"{SYSTEMS[i % len(SYSTEMS)]}_{REGIONS[i // len(SYSTEMS)]}" for i in range(n_sources)]
    sources = {name: _entities_for(name, count, rng) for name, count in zip(source_names, per_source)}

    staging = {(e.source, e.name): _staging(e, rng) for es in sources.values() for e in es}
    by_entity = {(e.source, e.name): e for es in sources.values() for e in es}

    # Intermediate models: a quota of each kind, then enriched models over what exists.
    candidates: dict[str, list[tuple[str, str]]] = {"joined": [], "aggregated": [], "sequenced": [], "validated": []}
    for key, entity in by_entity.items():
        if entity.parents:
            candidates["joined"].append(key)
            candidates["aggregated"].append(key)
            candidates["sequenced"].append(key)
        candidates["validated"].append(key)
    for keys in candidates.values():
        rng.shuffle(keys)
    quotas = {"validated": 0.2, "joined": 0.3, "aggregated": 0.25, "sequenced": 0.1}
    chosen = {kind: candidates[kind][: int(n_intermediate * share)] for kind, share in quotas.items()}
    intermediates: dict[tuple[str, str, str], Model] = {}

    def add(model: Model, kind: str, key) -> bool:
        if len(intermediates) >= n_intermediate:
            return False
        intermediates[(kind, *key)] = model
        return True

    def build_kind(kind: str, key) -> Model:
        entity = by_entity[key]
        base = intermediates.get(("validated", *key)) or staging[key]
        parent = entity.parents[0] if entity.parents else None
        if kind == "validated":
            return _int_validated(entity, staging[key])
        if kind == "joined":
            return _int_joined(entity, base, staging[(entity.source, parent)])
        if kind == "aggregated":
            return _int_aggregated(entity, base, parent)
        if kind == "sequenced":
            return _int_sequenced(entity, staging[key], parent, incremental=rng.random() < 0.3)
        return _int_daily(entity, staging[key])

    for kind in ("validated", "joined", "aggregated", "sequenced"):
        for key in sorted(chosen[kind]):
            add(build_kind(kind, key), kind, key)
    # enriched: an entity's joined (or validated) model plus the roll-ups of its children
    for key, entity in sorted(by_entity.items()):
        base = intermediates.get(("joined", *key)) or intermediates.get(("validated", *key))
        children = [m for (kind, source, name), m in sorted(intermediates.items(), key=lambda kv: kv[0])
                    if kind == "aggregated" and source == entity.source
                    and by_entity[(source, name)].parents[:1] == [entity.name]]
        if base is not None and children and len(intermediates) < n_intermediate:
            add(_int_enriched(entity, base, children[:3]), "enriched", key)
    # top up with the remaining candidates, then daily summaries
    leftovers = [(kind, key) for kind in ("joined", "aggregated", "sequenced", "validated")
                 for key in candidates[kind] if (kind, *key) not in intermediates]
    leftovers += [("daily", key) for key in sorted(by_entity)]
    for kind, key in leftovers:
        if len(intermediates) >= n_intermediate:
            break
        add(build_kind(kind, key), kind, key)

    # Marts: every source's customers, then other entities; the best model of each feeds it.
    mart_keys = [k for k in sorted(by_entity) if k[1] == "customer"]
    others = [k for k in sorted(by_entity) if k[1] != "customer"]
    rng.shuffle(others)
    mart_keys = (mart_keys + others)[: n_marts - 1]
    marts: dict[tuple[str, str], Model] = {}
    for key in mart_keys:
        entity = by_entity[key]
        base = next((intermediates[(kind, *key)] for kind in ("enriched", "joined", "sequenced", "validated")
                     if (kind, *key) in intermediates), staging[key])
        kind = "fct" if entity.has("amount") else "dim"
        marts[key] = _mart(entity, base, kind, key[0].split("_")[0])
    for key, mart in marts.items():
        for parent in by_entity[key].parents:
            target = marts.get((key[0], parent))
            if target is not None and mart.column(f"{parent}_id"):
                mart.foreign_keys[f"{parent}_id"] = target.name
    all_models = list(staging.values()) + list(intermediates.values()) + list(marts.values()) + [_dim_dates()]

    semantic_models = _semantic_models(marts, n_semantic=max(2, min(40, len(marts) // 14)), rng=rng)
    boards = _boards(queries, list(marts.values()), semantic_models, marts, rng)
    project = SyntheticProject(root, all_models, sources, semantic_models, boards)
    _write(project)
    return project


# --- semantic layer ---------------------------------------------------------------------------------


def _semantic_models(marts: dict, n_semantic: int, rng: random.Random) -> list[SemanticModel]:
    candidates = [m for m in marts.values()
                  if m.kind == "fct" and m.column("amount") and m.column("customer_id") and m.entity.name != "customer"]
    candidates.sort(key=lambda m: (not m.column("is_test_account"), not m.column("is_cancelled"), m.name))
    chosen = candidates[:n_semantic]
    result = []
    for mart in chosen:
        entity = mart.entity
        sm_name = f"{entity.source}_{plural(entity.name)}"
        filters = [c for c in ("is_test_account", "is_cancelled") if mart.column(c)]
        title = f"{entity.source.replace('_', ' ').title()} {entity.name.replace('_', ' ')}"
        metrics = {
            f"{sm_name}_gross_amount": {"label": f"{title} gross amount", "kind": "sum", "column": "amount"},
            f"{sm_name}_volume": {"label": f"{title} volume", "kind": "count", "column": f"{entity.name}_id"},
            f"{sm_name}_buyers": {"label": f"{title} buyers", "kind": "count_distinct", "column": "customer_id"},
            f"{sm_name}_average_amount": {"label": f"{title} average amount", "kind": "ratio",
                                          "numerator": f"{sm_name}_gross_amount", "denominator": f"{sm_name}_volume"},
        }
        result.append(SemanticModel(sm_name, mart, f"{entity.source}_{entity.name}", metrics, filters, "created_date"))
    return result


# --- boards -----------------------------------------------------------------------------------------


def _where(conditions: list[str], indent: str = "") -> str:
    return f"\n{indent}where " + f"\n{indent}  and ".join(conditions) if conditions else ""


def _metric_queries(sm: SemanticModel, marts: dict, rng: random.Random) -> list[tuple[str, str, dict, str | None]]:
    """(name, sql, chart, drift) candidates for a board about one semantic model."""
    mart = sm.mart
    table = f"marts.{mart.name}"
    e = mart.entity.name
    amount, volume, buyers, average = (f"{sm.name}_gross_amount", f"{sm.name}_volume", f"{sm.name}_buyers",
                                       f"{sm.name}_average_amount")
    labels = {name: spec["label"] for name, spec in sm.metrics.items()}
    canonical = [f"not {c}" if i % 2 == 0 else f"{c} = false" for i, c in enumerate(sm.filter_columns)]
    out = []

    def drift_or(kind: str) -> str | None:
        return kind if rng.random() < DRIFT_RATE else None

    # KPIs
    drift = drift_or(rng.choice(["filter_dropped", "aggregation", "distinct"]))
    where = canonical[:-1] if drift == "filter_dropped" else canonical
    amount_sql = f"avg(amount) as {amount}" if drift == "aggregation" else f"sum(amount) as {amount}"
    buyers_sql = f"count(*) as {buyers}" if drift == "distinct" else f"count(distinct customer_id) as {buyers}"
    sql = (f"select\n    {amount_sql},\n    count({e}_id) as {volume},\n    {buyers_sql}\nfrom {table}"
           f"{_where(where)}\n")
    out.append(("headline_kpis", sql, {"type": "kpi", "label": labels[amount], "value": amount}, drift))

    # trend by month
    drift = drift_or("time_dimension" if mart.column("updated_at") else "filter_dropped")
    time_column = "updated_at" if drift == "time_dimension" else sm.time_column
    where = [] if drift == "filter_dropped" else canonical
    sql = (f"select\n    date_trunc('month', {time_column}) as month,\n    sum(amount) as {amount},\n"
           f"    count({e}_id) as {volume}\nfrom {table}{_where(where)}\ngroup by 1\norder by 1\n")
    out.append(("monthly_trend", sql, {"type": "line", "x": "month", "y": amount, "y_label": labels[amount]}, drift))

    # breakdown through the customers dimension
    customers = marts.get((mart.entity.source, "customer"))
    if customers is not None:
        dimension = next((c for c in ("country_code", "channel_group", "channel", "customer_status")
                          if customers.column(c)), "customer_id")
        drift = drift_or("filter_dropped")
        where = [f"not f.{c}" for c in sm.filter_columns]
        if drift:
            where = where[1:]
        sql = (f"select\n    c.{dimension},\n    sum(f.amount) as {amount},\n"
               f"    count(distinct f.customer_id) as {buyers}\nfrom {table} as f\n"
               f"inner join marts.{customers.name} as c\n    on f.customer_id = c.customer_id"
               f"{_where(where)}\ngroup by 1\norder by 2 desc\nlimit 20\n")
        out.append((f"by_{dimension}", sql, {"type": "bar", "x": dimension, "y": amount, "title": labels[amount]},
                    drift))

    # monthly with window functions and the ratio metric
    drift = drift_or("ratio")
    ratio = (f"avg({amount} / nullif({volume}, 0)) over (order by month rows between 2 preceding and current row)"
             if drift else f"{amount} / nullif({volume}, 0)")
    sql = (f"with\n\nmonthly as (\n\n    select\n        date_trunc('month', {sm.time_column}) as month,\n"
           f"        sum(amount) as {amount},\n        count({e}_id) as {volume}\n    from {table}"
           f"{_where(canonical, '    ')}\n    group by 1\n\n)\n\n"
           f"select\n    month,\n    {amount},\n    {ratio} as {average},\n"
           f"    {amount} - lag({amount}) over (order by month) as change_from_previous_month,\n"
           f"    avg({amount}) over (order by month rows between 2 preceding and current row) as rolling_three_months\n"
           f"from monthly\norder by month\n")
    out.append(("monthly_with_change", sql, {"type": "line", "x": "month", "y": average, "y_label": labels[average]},
                drift))

    # slice by a category, with CASE buckets
    bucket = ("case\n        when amount < 10 then 'small'\n        when amount < 100 then 'medium'\n"
              "        else 'large'\n    end")
    drift = drift_or("filter_added")
    where = canonical + (["amount > 0"] if drift else [])
    sql = (f"select\n    {bucket} as size_bucket,\n    sum(amount) as {amount},\n    count({e}_id) as {volume}\n"
           f"from {table}{_where(where)}\ngroup by 1\norder by 1\n")
    out.append(("by_size", sql, {"type": "bar", "x": "size_bucket", "y": volume, "title": labels[volume]}, drift))

    # fan-out: the metric summed after joining rows that belong to each row
    children = [m for (source, _), m in sorted(marts.items()) if source == mart.entity.source
                and m.foreign_keys.get(f"{e}_id") == mart.name]
    if children:
        child = children[0]
        sql = (f"select\n    date_trunc('week', f.{sm.time_column}) as week,\n    sum(f.amount) as {amount}\n"
               f"from {table} as f\nleft join marts.{child.name} as c\n    on c.{e}_id = f.{e}_id"
               f"{_where([f'not f.{c}' for c in sm.filter_columns])}\ngroup by 1\n")
        out.append((f"weekly_with_{plural(child.entity.name)}", sql,
                    {"type": "line", "x": "week", "y": amount, "y_label": labels[amount]}, "fanout"))
    return out


def _explore_queries(mart: Model, rng: random.Random) -> list[tuple[str, str, dict, str | None]]:
    """Queries over any mart that claim no metric: counts, slices, top-N, daily series."""
    table = f"marts.{mart.name}"
    strings = [c.name for c in mart.columns if c.type == VARCHAR]
    numbers = [c.name for c in mart.columns if c.type in (MONEY, INTEGER, DOUBLE, BIGINT) and not c.name.endswith("_id")]
    key = mart.primary_key
    out = []
    if strings:
        dim = rng.choice(strings)
        measure = f",\n    sum({numbers[0]}) as total_{numbers[0]}" if numbers else ""
        out.append((f"rows_by_{dim}", f"select\n    {dim},\n    count(*) as row_count{measure}\nfrom {table}\n"
                    f"group by 1\norder by 2 desc\n", {"type": "bar", "x": dim, "y": "row_count"}, None))
    if "created_date" in mart.names():
        out.append(("daily_rows", f"select\n    created_date,\n    count(*) as row_count\nfrom {table}\n"
                    f"where created_date >= current_date - interval '90 days'\ngroup by 1\norder by 1\n",
                    {"type": "line", "x": "created_date", "y": "row_count"}, None))
    if numbers:
        measure = rng.choice(numbers)
        out.append((f"top_by_{measure}", f"with\n\nranked as (\n\n    select\n        {key},\n        {measure},\n"
                    f"        row_number() over (order by {measure} desc) as rank_number\n    from {table}\n\n)\n\n"
                    f"select\n    {key},\n    {measure}\nfrom ranked\nwhere rank_number <= 10\norder by rank_number\n",
                    {"type": "table"}, None))
        out.append((f"{measure}_distribution", f"select\n    case\n        when {measure} is null then 'unknown'\n"
                    f"        when {measure} < 10 then 'under 10'\n        when {measure} < 100 then '10 to 100'\n"
                    f"        else '100 or more'\n    end as band,\n    count(*) as row_count,\n"
                    f"    avg({measure}) as mean_{measure}\nfrom {table}\ngroup by 1\n",
                    {"type": "bar", "x": "band", "y": "row_count"}, None))
    out.append(("row_total", f"select count(*) as row_count, count(distinct {key}) as key_count\nfrom {table}\n",
                {"type": "kpi", "label": "Rows", "value": "row_count"}, None))
    return out


def _boards(n_queries: int, marts: list[Model], semantic: list[SemanticModel], by_key: dict,
            rng: random.Random) -> dict[str, list[BoardQuery]]:
    boards: dict[str, list[BoardQuery]] = {}
    n_boards = math.ceil(n_queries / QUERIES_PER_BOARD)
    remaining = n_queries
    plain_marts = [m for m in marts if m.entity is not None]
    for index in range(n_boards):
        size = min(QUERIES_PER_BOARD, remaining)
        remaining -= size
        if semantic and index % 10 < 7:
            sm = semantic[index % len(semantic)]
            topic = f"{sm.name}_{index:04d}"
            metric_pool = _metric_queries(sm, by_key, rng)
            rng.shuffle(metric_pool)
            pool = metric_pool[: QUERIES_PER_BOARD - 1] + _explore_queries(sm.mart, rng)[-1:] + metric_pool[4:]
        else:
            mart = plain_marts[index % len(plain_marts)]
            topic = f"{mart.name.split('_', 1)[1]}_{index:04d}"
            pool = _explore_queries(mart, rng)
            extra = plain_marts[(index * 7 + 3) % len(plain_marts)]
            pool += [(f"{extra.entity.name}_{n}", s, c, d) for n, s, c, d in _explore_queries(extra, rng)]
        picked = pool[:size] if len(pool) >= size else (pool * size)[:size]
        queries, seen = [], set()
        for name, sql, chart, drift in picked:
            while name in seen:
                name += "_again"
            seen.add(name)
            if drift and drift != "fanout" and rng.random() < 0.05:  # a reviewed exception, with its reason
                sql = "\n".join(
                    line + "  -- tally: ignore[MC] because this tile deliberately shows the raw figure"
                    if any(f in line for f in ("sum(", "avg(", "count(")) else line
                    for line in sql.splitlines()) + "\n"
            queries.append(BoardQuery(f"board_{topic}", name, sql, chart, drift))
        boards[f"board_{topic}"] = queries
    return boards


# --- writing ----------------------------------------------------------------------------------------


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _block(sql: str, indent: int) -> str:
    pad = " " * indent
    return "\n".join(pad + line if line else "" for line in sql.rstrip("\n").splitlines())


def _write(project: SyntheticProject) -> None:
    root = project.root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "dbt_project.yml").write_text(DBT_PROJECT)
    (root / "profiles.yml").write_text(PROFILES)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / ".sqlfluff").write_text(SQLFLUFF)
    (root / "macros").mkdir()
    (root / "macros" / "generate_schema_name.sql").write_text(SCHEMA_MACRO)

    for source, entities in project.sources.items():
        folder = root / "models" / "staging" / source
        folder.mkdir(parents=True)
        lines = ["version: 2", "", "sources:", f"  - name: {source}", f"    schema: raw_{source}",
                 f"    description: Raw tables replicated from {source}.", "    tables:"]
        for entity in entities:
            lines += [f"      - name: {entity.table}", f"        description: {entity.table} as replicated.",
                      "        columns:"]
            lines += [f"          - {{name: {name}, data_type: {ctype}}}" for name, ctype in entity.raw]
        (folder / f"_{source}__sources.yml").write_text("\n".join(lines) + "\n")

    by_folder: dict[str, list[Model]] = {}
    for model in project.models:
        by_folder.setdefault(model.folder, []).append(model)
        path = root / model.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(model.sql)
    semantic_by_folder: dict[str, list[SemanticModel]] = {}
    for sm in project.semantic_models:
        semantic_by_folder.setdefault(sm.mart.folder, []).append(sm)
    for folder, models in by_folder.items():
        directory = folder.rsplit("/", 1)[-1]
        (root / "models" / folder / f"_{directory}__models.yml").write_text(_models_yaml(models))
        if folder in semantic_by_folder:
            (root / "models" / folder / f"_{directory}__semantic.yml").write_text(
                _semantic_yaml(semantic_by_folder[folder]))

    charts = root / "charts"
    extracted = root / "extracted" / "dashboards"
    charts.mkdir()
    extracted.mkdir(parents=True)
    for board, queries in project.boards.items():
        (charts / f"{board}.yml").write_text(_board_yaml(board, queries))
        for query in queries:
            (extracted / f"{board}__{query.name}.sql").write_text(query.sql)
    (root / "extracted" / "schema.json").write_text(json.dumps(project.schema_of(), indent=1, sort_keys=True) + "\n")


def _models_yaml(models: list[Model]) -> str:
    lines = ["version: 2", "", "models:"]
    for model in models:
        lines += [f"  - name: {model.name}", f"    description: {_yaml_str(model.description)}"]
        if model.kind == "spine":
            lines += ["    time_spine:", "      standard_granularity_column: date_day"]
        if model.layer == "marts":
            lines.append("    columns:")
            for column in model.columns:
                lines += [f"      - name: {column.name}", f"        data_type: {column.type}",
                          f"        description: {_yaml_str(column.description or column.name)}"]
                if model.kind == "spine" and column.name == "date_day":
                    lines.append("        granularity: day")
                if column.name == model.primary_key:
                    lines.append("        data_tests: [unique, not_null]")
                elif column.name in model.foreign_keys:
                    lines += ["        data_tests:", "          - relationships:",
                              f"              arguments: {{to: ref('{model.foreign_keys[column.name]}'), "
                              f"field: {column.name}}}"]
        elif model.layer == "staging" and model.primary_key:
            lines += ["    columns:", f"      - name: {model.primary_key}", "        data_tests: [unique, not_null]"]
    return "\n".join(lines) + "\n"


def _semantic_yaml(semantic_models: list[SemanticModel]) -> str:
    lines = ["version: 2", "", "semantic_models:"]
    for sm in semantic_models:
        mart = sm.mart
        e = mart.entity.name
        lines += [
            f"  - name: {sm.name}",
            f"    description: {_yaml_str(mart.description)}",
            f"    model: ref('{mart.name}')",
            "    defaults:",
            f"      agg_time_dimension: {sm.time_column}",
            "    entities:",
            f"      - {{name: {sm.entity}, type: primary, expr: {e}_id}}",
            f"      - {{name: {mart.entity.source}_customer, type: foreign, expr: customer_id}}",
            "    dimensions:",
            f"      - name: {sm.time_column}",
            "        type: time",
            "        type_params: {time_granularity: day}",
        ]
        for column in ("is_test_account", "is_cancelled", f"{e}_status", "channel", "currency_code"):
            if mart.column(column):
                lines.append(f"      - {{name: {column}, type: categorical}}")
        lines += [
            "    measures:",
            f"      - {{name: {sm.name}_amount_total, agg: sum, expr: amount}}",
            f"      - {{name: {sm.name}_row_count, agg: count, expr: {e}_id}}",
            f"      - {{name: {sm.name}_distinct_customers, agg: count_distinct, expr: customer_id}}",
        ]
    lines += ["", "metrics:"]
    for sm in semantic_models:
        condition = " and ".join(f"{{{{ Dimension('{sm.entity}__{c}') }}}} = false" for c in sm.filter_columns)
        measures = {"sum": f"{sm.name}_amount_total", "count": f"{sm.name}_row_count",
                    "count_distinct": f"{sm.name}_distinct_customers"}
        for name, spec in sm.metrics.items():
            lines += [f"  - name: {name}", f"    label: {spec['label']}",
                      f"    description: {_yaml_str(spec['label'] + ', real customers only.')}"]
            if spec["kind"] == "ratio":
                lines += ["    type: ratio", "    type_params:", f"      numerator: {spec['numerator']}",
                          f"      denominator: {spec['denominator']}"]
            else:
                lines += ["    type: simple", "    type_params:", f"      measure: {measures[spec['kind']]}"]
                if condition:
                    lines += ["    filter: |", f"      {condition}"]
    return "\n".join(lines) + "\n"


def _board_yaml(board: str, queries: list[BoardQuery]) -> str:
    title = " ".join(board.removeprefix("board_").rsplit("_", 1)[0].replace("__", "_").split("_")).capitalize()
    lines = [f"title: {_yaml_str(title)}", "", "queries:"]
    for query in queries:
        lines += [f"  {query.name}:", "    sql: |", _block(query.sql, 6)]
    lines += ["", "charts:"]
    for query in queries:
        lines.append(f"  {query.name}_chart:")
        lines.append(f"    type: {query.chart['type']}")
        lines.append(f"    query: {query.name}")
        for key in ("label", "value", "x", "y", "y_label", "title"):
            if key in query.chart:
                lines.append(f"    {key}: {_yaml_str(query.chart[key])}")
    lines += ["", "rows:"]
    lines += [f"  - {query.name}_chart" for query in queries]
    return "\n".join(lines) + "\n"


DBT_PROJECT = """\
# A synthetic project for the linter benchmark (warehouse.bench.linter). Generated: do not edit.
name: bench
version: "1.0.0"
config-version: 2
profile: bench

model-paths: ["models"]
macro-paths: ["macros"]

models:
  bench:
    staging:
      +materialized: view
      +schema: staging
    intermediate:
      +materialized: view
      +schema: intermediate
    marts:
      +materialized: table
      +schema: marts
      +access: public
      +contract:
        enforced: true

flags:
  send_anonymous_usage_stats: false
"""

PROFILES = """\
bench:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: bench.duckdb
      schema: main
      threads: 2
"""

PYPROJECT = """\
# Configuration for tally on the synthetic benchmark project. Generated: do not edit.
[tool.tally]
select = ["ALL"]
dialect = "duckdb"
dashboards = ["charts/**/*.yml"]
"""

SQLFLUFF = """\
[sqlfluff]
templater = jinja
dialect = duckdb
max_line_length = 120

[sqlfluff:templater:jinja]
apply_dbt_builtins = True
"""

SCHEMA_MACRO = """\
{# Layer schemas exactly as configured (staging, intermediate, marts), not prefixed. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
"""
