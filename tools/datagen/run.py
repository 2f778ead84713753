"""Running a generation: work units (tasks), worker processes, files and the manifest.

A task writes one file per table it produces. Order tasks cover a fixed group of order
blocks; which process runs a task, and in which order tasks finish, has no influence on
any file's content.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from datagen import __version__, mess
from datagen.billing import subscriptions_table
from datagen.counts import mess_counts
from datagen.customers import customer_table
from datagen.defects import DRIFT_SCHEMA, DefectConfig, Injection, inject
from datagen.marketing import ad_spend_table
from datagen.orders import order_core, items_table, orders_table
from datagen.payments import payments_table, refunds_table
from datagen.plan import MAX_ORDER_LIFECYCLE_US, SEGMENT_BLOCK_STRIDE, Plan
from datagen.schema import END_DATE, START_DATE, TABLES
from datagen.web import web_tables
from datagen.world import World
from datagen.writer import TableWriter

MANIFEST = "_manifest.json"
DEFECTS_DIR = "_defects"
MANIFEST_MAX_IDS = 2000  # more ids than this go to a Parquet file under _defects/
ORDER_TABLES = ("shop.orders", "shop.order_items", "payments.payments", "payments.refunds", "web.sessions", "web.events")
# Rows of these tables are delivered in the window their event falls in (so a batch
# carries status changes, payments and refunds of older orders, and the last minutes of
# sessions that straddle a cut-off); order lines and sessions always belong to the
# block's own segment.
LIFECYCLE_TABLES = ("shop.orders", "payments.payments", "payments.refunds")
CUT_TABLES = LIFECYCLE_TABLES + ("web.events",)
SESSION_SPAN_US = 86_400_000_000  # sessions last minutes; a day is a generous bound
DEFAULT_BLOCKS_PER_FILE = 8


class UsageError(Exception):
    """A problem with the request (bad output directory, bad batch number, ...)."""


@dataclass(frozen=True)
class Task:
    kind: str  # orders | customers | catalog | subscriptions | ad_spend
    segment: int  # segment the rows are delivered in (its number names the files)
    part: str  # file name part: part-<part>.parquet
    source: int = 0  # segment whose blocks are generated (orders tasks)
    blocks: tuple[int, ...] = ()
    lo: int | None = None  # deliver rows whose event time is in [lo, hi)
    hi: int = 0
    tables: tuple[str, ...] = ()
    defects: DefectConfig | None = None

    @property
    def weight(self) -> int:
        return max(1, len(self.blocks))


@dataclass
class Result:
    rows: Counter = field(default_factory=Counter)
    files: dict = field(default_factory=lambda: defaultdict(list))
    mess: dict = field(default_factory=lambda: defaultdict(Counter))
    seconds: Counter = field(default_factory=Counter)
    injection: Injection = field(default_factory=Injection)

    def merge(self, other: "Result") -> None:
        self.rows.update(other.rows)
        for k, v in other.files.items():
            self.files[k].extend(v)
        for k, v in other.mess.items():
            self.mess[k].update(v)
        self.seconds.update(other.seconds)
        for key, n in other.injection.rows.items():
            self.injection.rows[key] = self.injection.rows.get(key, 0) + n
        for key, ids in other.injection.ids.items():
            self.injection.ids.setdefault(key, []).extend(ids)


# Set in the parent before workers fork; read by `execute`.
_CONTEXT: tuple[World, str] | None = None


def execute(task: Task) -> Result:
    world, root = _CONTEXT
    return _EXECUTORS[task.kind](world, root, task)


def _deliver(result: Result, writers: dict, name: str, data: pa.Table, task: Task, global_block: int,
             world: World, cut: bool) -> None:
    """Cut rows to the task's window, count the mess, inject defects, write."""
    start = time.perf_counter()
    if cut:
        t = data.column("__t").to_numpy()
        keep = t < task.hi if task.lo is None else (t >= task.lo) & (t < task.hi)
        if not keep.all():
            data = data.filter(pa.array(keep))
    data = _clip_loaded(data, task.hi)
    result.mess[name].update(mess_counts(name, data))
    if task.defects is not None:
        data = inject(task.defects, name, data, world.seed, global_block, task.hi, result.injection)
    writers[name].write(data)
    result.seconds[name] += time.perf_counter() - start


def _clip_loaded(data: pa.Table, hi: int) -> pa.Table:
    """Nothing is loaded after the end of the delivery window it belongs to."""
    loaded = data.column("_loaded_at").cast(pa.int64()).to_numpy()
    if loaded.max(initial=0) < hi:
        return data
    i = data.schema.get_field_index("_loaded_at")
    return data.set_column(i, "_loaded_at", pa.array(np.minimum(loaded, hi - 1), type=pa.timestamp("us")))


def _writers(root: str, task: Task, names) -> dict:
    return {n: TableWriter(root, TABLES[n], task.part) for n in names}


def _close(result: Result, writers: dict, keep_empty: bool = False) -> None:
    for name, w in writers.items():
        rows = w.close(keep_empty=keep_empty)
        result.rows[name] += rows
        if rows or keep_empty:
            result.files[name].append(os.path.basename(w.path))


def _run_orders(world: World, root: str, task: Task) -> Result:
    result = Result()
    seg = world.plan.segments[task.source]
    writers = _writers(root, task, task.tables)
    for block in task.blocks:
        t0 = time.perf_counter()
        core = order_core(world, seg, block)
        result.seconds["shop.orders"] += time.perf_counter() - t0
        built = {}
        for name, fn in (("shop.orders", orders_table), ("shop.order_items", items_table),
                         ("payments.payments", payments_table), ("payments.refunds", refunds_table)):
            if name in task.tables:
                t0 = time.perf_counter()
                built[name] = fn(world, core)
                result.seconds[name] += time.perf_counter() - t0
        if "web.events" in task.tables:
            t0 = time.perf_counter()
            built["web.sessions"], built["web.events"] = web_tables(world, core)
            result.seconds["web.events"] += time.perf_counter() - t0
        for name in task.tables:
            _deliver(result, writers, name, built[name], task, core.global_block, world, cut=name in CUT_TABLES)
        del built, core
    _close(result, writers)
    if result.injection.extra:
        _write_extra(root, task, result)
    return result


def _write_extra(root: str, task: Task, result: Result) -> None:
    for name, data in result.injection.extra.items():
        w = TableWriter(root, TABLES[name], f"{task.part}-drift", schema=DRIFT_SCHEMA)
        w.write(data)
        w.close()
        result.files[name].append(os.path.basename(w.path))
        result.rows[name] += data.num_rows
    result.injection.extra.clear()


def _run_customers(world: World, root: str, task: Task) -> Result:
    result = Result()
    seg = world.plan.segments[task.segment]
    writers = _writers(root, task, ["shop.customers"])
    for block in range(seg.customer_blocks):
        t0 = time.perf_counter()
        data = customer_table(world.seed, seg, block, world.customer_cores[seg.number, block], world.tz)
        result.seconds["shop.customers"] += time.perf_counter() - t0
        _deliver(result, writers, "shop.customers", data, task, seg.global_block(block), world, cut=False)
    _close(result, writers, keep_empty=True)
    return result


def _run_single(world: World, root: str, task: Task) -> Result:
    """Tables generated in one piece: catalogue, subscriptions, ad spend."""
    result = Result()
    seg = world.plan.segments[task.segment]
    t0 = time.perf_counter()
    if task.kind == "catalog":
        tables = {"shop.products": world.catalog.products_table(world.seed),
                  "shop.product_prices": world.catalog.prices_table(world.seed)}
    elif task.kind == "subscriptions":
        tables = {"billing.subscriptions": subscriptions_table(world, world.plan)}
    else:
        tables = {"marketing.ad_spend": ad_spend_table(world.seed, world.plan, seg, world.campaigns, world.fx)}
    elapsed = (time.perf_counter() - t0) / len(tables)
    writers = _writers(root, task, tables)
    for name, data in tables.items():
        result.seconds[name] += elapsed
        _deliver(result, writers, name, data, task, seg.global_block(0), world, cut=False)
    _close(result, writers, keep_empty=True)
    return result


_EXECUTORS = {"orders": _run_orders, "customers": _run_customers, "catalog": _run_single,
              "subscriptions": _run_single, "ad_spend": _run_single}


# ----------------------------------------------------------------------------------------
# Planning tasks

def _groups(blocks: list[int], size: int):
    for i in range(0, len(blocks), size):
        yield i // size, tuple(blocks[i:i + size])


def base_tasks(plan: Plan, blocks_per_file: int, defects: DefectConfig | None) -> list[Task]:
    base = plan.base
    tasks = [Task("orders", 0, f"b0000-{g:05d}", source=0, blocks=blocks, hi=base.end_us,
                  tables=ORDER_TABLES, defects=defects)
             for g, blocks in _groups(list(range(base.order_blocks)), blocks_per_file)]
    tasks += [Task("customers", 0, "b0000-00000", hi=base.end_us, defects=defects),
              Task("catalog", 0, "b0000-00000", hi=base.end_us),
              Task("subscriptions", 0, "b0000-00000", hi=base.end_us),
              Task("ad_spend", 0, "b0000-00000", hi=base.end_us)]
    return tasks


def batch_tasks(plan: Plan, k: int, blocks_per_file: int) -> list[Task]:
    seg = plan.segments[k]
    tasks = [Task("orders", k, f"b{k:04d}-{g:05d}", source=k, blocks=blocks, hi=seg.end_us, tables=ORDER_TABLES)
             for g, blocks in _groups(list(range(seg.order_blocks)), blocks_per_file)]
    # Orders placed earlier whose status changes, payments or refunds fall in this window.
    for s in range(k):
        src = plan.segments[s]
        touched = [b for b in range(src.order_blocks)
                   if src.block_time_span(b)[1] + MAX_ORDER_LIFECYCLE_US >= seg.start_us]
        tasks += [Task("orders", k, f"b{k:04d}-s{s:04d}-{g:05d}", source=s, blocks=blocks, lo=seg.start_us,
                       hi=seg.end_us, tables=LIFECYCLE_TABLES)
                  for g, blocks in _groups(touched, blocks_per_file)]
        straddling = [b for b in range(src.order_blocks) if src.block_time_span(b)[1] + SESSION_SPAN_US >= seg.start_us]
        tasks += [Task("orders", k, f"b{k:04d}-s{s:04d}-web-{g:05d}", source=s, blocks=blocks, lo=seg.start_us,
                       hi=seg.end_us, tables=("web.events",))
                  for g, blocks in _groups(straddling, blocks_per_file)]
    tasks += [Task("customers", k, f"b{k:04d}-00000", hi=seg.end_us),
              Task("ad_spend", k, f"b{k:04d}-00000", hi=seg.end_us)]
    return tasks


# ----------------------------------------------------------------------------------------
# Execution

def run_tasks(world: World, root: str, tasks: list[Task], workers: int, progress: bool = True) -> Result:
    global _CONTEXT
    _CONTEXT = (world, root)
    total = Result()
    bar = _progress_bar(sum(t.weight for t in tasks), progress)
    # Big tasks first so the pool is not left waiting on one long straggler.
    ordered = sorted(tasks, key=lambda t: -t.weight)
    try:
        if workers <= 1:
            for task in ordered:
                total.merge(execute(task))
                bar.update(task.weight)
        else:
            weights = {t: t.weight for t in ordered}
            with mp.get_context("fork").Pool(workers) as pool:
                for task, result in pool.imap_unordered(_execute_tagged, ordered):
                    total.merge(result)
                    bar.update(weights[task])
    finally:
        bar.close()
        _CONTEXT = None
    return total


def _execute_tagged(task: Task):
    return task, execute(task)


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="block", desc="generating", file=sys.stderr, disable=not enabled,
                dynamic_ncols=True, leave=False)


# ----------------------------------------------------------------------------------------
# Output directory and manifest

def prepare_output(out: str, force: bool) -> None:
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"{out} exists and is not a directory")
    if os.path.isdir(out) and any(os.scandir(out)):
        if not force:
            hint = "" if os.path.exists(os.path.join(out, MANIFEST)) else \
                f" (it has no {MANIFEST}: perhaps an interrupted run)"
            raise UsageError(f"output directory {out} is not empty{hint}; pass --force to replace the generated data in it")
        # Remove only what this tool writes; anything else in the directory is left alone.
        for table in TABLES.values():
            shutil.rmtree(table.path(out), ignore_errors=True)
        for source in {t.source for t in TABLES.values()}:
            path = os.path.join(out, source)
            if os.path.isdir(path) and not any(os.scandir(path)):
                os.rmdir(path)
        shutil.rmtree(os.path.join(out, DEFECTS_DIR), ignore_errors=True)
        if os.path.exists(os.path.join(out, MANIFEST)):
            os.remove(os.path.join(out, MANIFEST))
    os.makedirs(out, exist_ok=True)


def ensure_every_table(out: str, result: Result) -> None:
    """Every table gets at least one file (possibly empty), so every source glob matches."""
    for name, table in TABLES.items():
        if not result.files.get(name):
            w = TableWriter(out, table, "b0000-empty")
            w.close(keep_empty=True)
            result.files[name].append(os.path.basename(w.path))


def read_manifest(out: str) -> dict:
    path = os.path.join(out, MANIFEST)
    if not os.path.exists(path):
        raise UsageError(f"no {MANIFEST} in {out}; run `tally-datagen generate --out {out}` first")
    with open(path) as f:
        return json.load(f)


def write_manifest(out: str, manifest: dict) -> None:
    tmp = os.path.join(out, MANIFEST + ".tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, os.path.join(out, MANIFEST))


def _iso(us: int) -> str:
    return str(np.datetime64(us, "us").astype("datetime64[s]"))


def _tables_section(result: Result) -> dict:
    return {name: {"rows": int(result.rows.get(name, 0)), "files": sorted(result.files.get(name, []))}
            for name in TABLES}


def _mess_section(result: Result) -> dict:
    return {name: dict(sorted((k, int(v)) for k, v in result.mess[name].items()))
            for name in TABLES if result.mess.get(name)}


def _defects_section(out: str, config: DefectConfig, result: Result) -> dict:
    injected: dict = {}
    for (cls, table), rows in sorted(result.injection.rows.items()):
        entry: dict = {"rows": int(rows)}
        parts = result.injection.ids.get((cls, table))
        if parts is not None:
            ids = np.unique(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)
            if len(ids) <= MANIFEST_MAX_IDS:
                entry["ids"] = [int(i) for i in ids]
            else:
                rel = f"{DEFECTS_DIR}/{cls}.{table}.parquet"
                os.makedirs(os.path.join(out, DEFECTS_DIR), exist_ok=True)
                pq.write_table(pa.table({"id": ids}), os.path.join(out, rel))
                entry["ids_file"] = rel
            entry["distinct_ids"] = int(len(ids))
        injected.setdefault(cls, {})[table] = entry
    # Sub-counts recorded under their own key by the injector belong to their class entry.
    for table, entry in injected.pop("schema_drift_non_numeric", {}).items():
        injected["schema_drift"][table]["non_numeric_quantity"] = entry["rows"]
    return {"classes": list(config.classes), "rate": config.rate, "injected": injected}


def base_manifest(out: str, seed: int, scale: float, plan: Plan, config: DefectConfig | None,
                  result: Result, blocks_per_file: int) -> dict:
    return {
        "generator": "tally-datagen",
        "version": __version__,
        "seed": seed,
        "scale": scale,
        "start_date": START_DATE,
        "end_date": END_DATE,
        "cutoff_utc": _iso(plan.base.end_us),
        "layout": "<source>/<table>/part-*.parquet",
        "blocks_per_file": blocks_per_file,
        "counts": {"customers": plan.base.customers, "orders": plan.base.orders, "products": plan.products,
                   "campaigns": plan.campaigns},
        "tables": _tables_section(result),
        "mess": _mess_section(result),
        "mess_rates": {k: v for k, v in vars(mess).items() if k.isupper() and isinstance(v, (int, float))},
        "defects": _defects_section(out, config, result) if config else None,
        "batches": [],
    }


def batch_entry(plan: Plan, k: int, result: Result) -> dict:
    seg = plan.segments[k]
    return {
        "batch": k,
        "window_start_utc": _iso(seg.start_us),
        "window_end_utc": _iso(seg.end_us),
        "new_orders": seg.orders,
        "new_customers": seg.customers,
        "tables": _tables_section(result),
        "mess": _mess_section(result),
    }


def summary_lines(result: Result) -> list[str]:
    width = max(len(n) for n in TABLES)
    lines = []
    for name in TABLES:
        rows = result.rows.get(name, 0)
        lines.append(f"{name:<{width}}  {rows:>12,} rows  {result.seconds.get(name, 0.0):7.2f} s")
    return lines


def remove_stray_batch_files(out: str, k: int) -> None:
    """Files of batch k left by an interrupted `append` (not in the manifest) are removed
    before the batch is written again; recorded files are never touched."""
    prefix = f"part-b{k:04d}-"
    for table in TABLES.values():
        folder = table.path(out)
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if name.startswith(prefix):
                    os.remove(os.path.join(folder, name))


def global_block_limit_ok(plan: Plan) -> bool:
    return all(seg.order_blocks < SEGMENT_BLOCK_STRIDE for seg in plan.segments)
