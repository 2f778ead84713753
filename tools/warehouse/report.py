"""What a user reads after a build: where things are, which build is published, how old it is."""

from __future__ import annotations

from warehouse import paths
from warehouse.publish import Warehouse, age_of


def _rel(path) -> str:
    try:
        return str(path.relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def status(warehouse: Warehouse | None = None) -> int:
    warehouse = warehouse or Warehouse()
    current = warehouse.current()
    print(f"BI tools connect to: {paths.PUBLISHED}")
    if current is None:
        print("Published build:     none yet (run `make build`)")
        return 1
    record = current.record
    dbt = record.get("dbt", {})
    print(f"Published build:     {current.build_id} ({record.get('mode', '?')}, commit {record.get('git_commit') or '?'})")
    print(f"Published at:        {record.get('published_at', '?')} ({age_of(record.get('published_at', ''))} ago)")
    warned = f", {dbt['tests_warned']} warned (severity warn)" if dbt.get("tests_warned") else ""
    kept_from = record.get("views_and_seeds_from")
    kept = (f" (views and seeds kept from build {kept_from})"
            if kept_from and kept_from != current.build_id else "")
    print(f"Tests:               {dbt.get('tests_passed', 0)}/{dbt.get('tests', 0)} passed{warned}, "
          f"{dbt.get('models', 0)} models built{kept}")
    others = [b for b in warehouse.builds() if b.build_id != current.build_id]
    earlier = [b.build_id for b in others if b.build_id < current.build_id and not b.record.get("rolled_back_at")]
    print(f"Kept for rollback:   {', '.join(reversed(earlier)) if earlier else 'none'}")
    rest = [f"{b.build_id}{' (rolled back)' if b.record.get('rolled_back_at') else ''}"
            for b in others if b.build_id not in earlier]
    if rest:
        print(f"Also kept:           {', '.join(rest)}")
    return 0


def summary() -> int:
    print()
    print("Tally is built.")
    status()
    print(f"Raw data:            {_rel(paths.RAW_DIR)}")
    print(f"Board images:        {_rel(paths.BOARDS_DIR)}")
    print("Query it:            .venv/bin/mf query --metrics net_revenue --group-by metric_time__month")
    print("Serve the boards:    make serve")
    return 0


def rollback(warehouse: Warehouse | None = None) -> int:
    warehouse = warehouse or Warehouse()
    try:
        build = warehouse.rollback()
    except RuntimeError as exc:
        print(f"error: {exc}")
        return 1
    print(f"Rolled back: BI tools now read build {build.build_id} at {paths.PUBLISHED}")
    images = build.database.parent / "boards"
    if images.exists():
        from warehouse.build import copy_boards  # lazily: status and rollback stay light

        copy_boards(images, paths.BOARDS_DIR)
        print(f"Board images:        {_rel(paths.BOARDS_DIR)} (of build {build.build_id})")
    else:
        print(f"Build {build.build_id} has no board images (built with --skip render-boards); "
              f"{_rel(paths.BOARDS_DIR)} was left as it was.")
    return 0
