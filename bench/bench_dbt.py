"""dbt incremental build: an hourly 50k-event batch over 5M and 10M events of history (issue 3).

    .venv/bin/python -m bench.bench_dbt [--batch-lines 50000] [--only 5m|10m]
                                        [--dashboard-samples 40]

For each history, on a fresh database of a fresh embedded Postgres:
1. The generated lake (`bench.lakes.ensure_lake`: 5M events over 45 days and 10M over 90,
   the same 111,000 events a day; made once, cached) minus its last objects holding
   `--batch-lines` lines: those are the batch, the lake's final hours, late deliveries
   included. The rest is loaded and built: `dbt build` on an empty warehouse (every model
   in full) - timed.
2. The warehouse is settled: `vacuum (analyze)` of the whole database and a checkpoint
   (timed, with the autovacuum workers busy when it begins counted), so that no vacuum
   backlog of the first build runs alongside the incremental one. The vacuum reads every
   table, so the incremental build starts with a page cache that holds little of its own
   working set (docs/BENCHMARKS.md, run B). The batch is loaded and `dbt build` runs
   again, incrementally - timed, with its block accesses to the warehouse's tables and
   indexes counted (`pg_statio_user_tables`), and how many of them had to be read in.
3. Over the 5M history only (it costs as much as step 1): `dbt build --full-refresh` over
   the same raw rows - timed: the baseline the incremental build is compared with.
Every build is the hourly job's: all models, seeds, data tests and unit tests. Goals:
incremental <= 10 % of the full refresh, and the batch over 10M within 1.3x of the same
size batch over 5M. The slowest nodes of each incremental build show what bounds it.
With `--dashboard-samples N`, the dashboard benchmark (`bench.bench_dashboard.measure`)
then runs over the 10M warehouse as the incremental build left it, so one 10M build serves
both benchmarks.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import bench_dashboard
from bench.lakes import LAKES_DIR, ensure_lake
from loader.core import run_load
from shared import db
from shared.embedded_postgres import EmbeddedPostgres
from shared.lake import INVALID, RAW, Lake, LakeObject, open_lake, partition_hour
from shared.ports import free_port
from transform.runner import NodeResult, run_dbt

HISTORIES = {"5m": (5_000_000, 45), "10m": (10_000_000, 90)}
SERVER_DIR = LAKES_DIR.parent / "dbt-postgres"
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Build:
    seconds: float
    results: list[NodeResult]

    def slowest(self, count: int = 6) -> str:
        ranked = sorted(self.results, key=lambda result: result.seconds, reverse=True)
        return ", ".join(
            f"{result.unique_id.split('.')[-1]} {result.seconds:.1f} s" for result in ranked[:count]
        )


class LakePrefix:
    """The objects of a lake up to a key (in the loader's order): the history without
    its batch. Reads go to the whole lake."""

    def __init__(self, lake: Lake, keys: set[str]) -> None:
        self.lake = lake
        self.keys = keys
        self.url = lake.url

    def list(self, prefix: str) -> Iterator[LakeObject]:
        return (item for item in self.lake.list(prefix) if item.key in self.keys)

    def read(self, key: str) -> bytes:
        return self.lake.read(key)

    def write(self, key: str, data: bytes) -> None:
        raise NotImplementedError("the benchmark never writes to a generated lake")


def loader_order(lake: Lake) -> list[LakeObject]:
    found = [item for area in (RAW, INVALID) for item in lake.list(f"{area}/")]
    return sorted(found, key=lambda item: (partition_hour(item.key) or FAR_FUTURE, item.key))


def split_batch(lake: Lake, batch_lines: int) -> tuple[set[str], int]:
    """The keys of the history (all but the last objects holding >= batch_lines lines)
    and the batch's line count."""
    objects = loader_order(lake)
    lines = 0
    cut = len(objects)
    while cut > 0 and lines < batch_lines:
        cut -= 1
        lines += gzip.decompress(lake.read(objects[cut].key)).count(b"\n")
    return {item.key for item in objects[:cut]}, lines


def timed_build(url: str, *args: str) -> Build:
    started = time.monotonic()
    results = run_dbt("build", *args, database_url=url, echo=False)
    return Build(time.monotonic() - started, results)


def settle(admin_url: str) -> tuple[float, int]:
    """Vacuum, analyze and checkpoint the warehouse; return the seconds it took and how many
    autovacuum workers were running when it began."""
    started = time.monotonic()
    with db.connect(admin_url, autocommit=True) as conn:
        busy = conn.execute(
            "select count(*) from pg_stat_activity where backend_type = 'autovacuum worker'"
        ).fetchone()[0]
        conn.execute("vacuum (analyze)")
        conn.execute("checkpoint")
    return time.monotonic() - started, busy


@dataclass(frozen=True)
class BlockCounts:
    """Block accesses to the warehouse's tables and indexes during a build (one per page
    visit, so a page read twice counts twice): found in Postgres' shared buffers, or read
    into them (from the OS page cache or from disk: 8 KiB each)."""

    hits: int
    reads: int

    @property
    def accesses(self) -> int:
        return self.hits + self.reads

    def __str__(self) -> str:
        return (
            f"{self.accesses:,} block accesses, {self.reads:,} of them reads into shared"
            f" buffers ({self.reads * 8 / 1024**2:.1f} GiB)"
        )


def reset_block_counts(admin_url: str) -> None:
    with db.connect(admin_url, autocommit=True) as conn:
        conn.execute("select pg_stat_reset()")


def block_counts(admin_url: str) -> BlockCounts:
    time.sleep(1)  # sessions report their counters when they end, within a second
    with db.connect(admin_url, autocommit=True) as conn:
        hits, reads = conn.execute(
            "select"
            " sum(heap_blks_hit + coalesce(idx_blks_hit, 0) + coalesce(toast_blks_hit, 0)),"
            " sum(heap_blks_read + coalesce(idx_blks_read, 0) + coalesce(toast_blks_read, 0))"
            " from pg_statio_user_tables"
        ).fetchone()
    return BlockCounts(int(hits or 0), int(reads or 0))


def scenario(
    name: str,
    events: int,
    days: int,
    batch_lines: int,
    full_refresh: bool,
    dashboard_samples: int = 0,
) -> dict[str, object]:
    lake = open_lake(str(ensure_lake(events, days)))
    history_keys, lines_in_batch = split_batch(lake, batch_lines)
    shutil.rmtree(SERVER_DIR, ignore_errors=True)
    server = EmbeddedPostgres(data_dir=SERVER_DIR / "pgdata", port=free_port())
    server.start()
    try:
        admin = server.url()
        db.bootstrap(admin)
        loader_url = db.with_user(admin, db.ROLES["loader"].name, None)
        transform_url = db.with_user(admin, db.ROLES["transform"].name, None)
        history = run_load(LakePrefix(lake, history_keys), loader_url)
        print(f"[{name}] history loaded: {history.rows_loaded:,} rows", flush=True)
        first = timed_build(transform_url)
        print(f"[{name}] first build (everything in full): {first.seconds:.1f} s", flush=True)
        settled, busy = settle(admin)
        print(
            f"[{name}] settled (vacuum, analyze, checkpoint): {settled:.1f} s;"
            f" autovacuum workers busy before it: {busy}",
            flush=True,
        )
        batch = run_load(lake, loader_url)
        reset_block_counts(admin)
        incremental = timed_build(transform_url)
        blocks = block_counts(admin)
        print(
            f"[{name}] batch of {batch.rows_loaded:,} rows built incrementally:"
            f" {incremental.seconds:.1f} s ({incremental.slowest()}); {blocks}",
            flush=True,
        )
        refresh = timed_build(transform_url, "--full-refresh") if full_refresh else None
        if refresh:
            print(f"[{name}] --full-refresh: {refresh.seconds:.1f} s", flush=True)
        if dashboard_samples:
            print(f"[{name}] dashboard pages, load average {os.getloadavg()}", flush=True)
            bench_dashboard.measure(bench_dashboard.Warehouse(admin), dashboard_samples, seed=7)
        return {
            "history_rows": history.rows_loaded,
            "batch_rows": batch.rows_loaded,
            "batch_lines": lines_in_batch,
            "first": first,
            "incremental": incremental,
            "incremental_blocks": blocks,
            "refresh": refresh,
        }
    finally:
        server.stop()
        shutil.rmtree(SERVER_DIR, ignore_errors=True)


def report(results: dict[str, dict[str, object]]) -> None:
    print("\n| history | rows loaded | first build | batch rows | incremental | full refresh |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, figures in results.items():
        refresh = figures["refresh"]
        print(
            f"| {name} | {figures['history_rows']:,} | {figures['first'].seconds:.1f} s"
            f" | {figures['batch_rows']:,} | {figures['incremental'].seconds:.1f} s"
            f" | {f'{refresh.seconds:.1f} s' if refresh else '-'} |"
        )
    small = results.get("5m")
    if small and small["refresh"]:
        ratio = small["incremental"].seconds / small["refresh"].seconds
        print(f"\nincremental / full refresh over 5M: {ratio:.3f} (goal <= 0.10)")
    if small and "10m" in results:
        large = results["10m"]
        growth = large["incremental"].seconds / small["incremental"].seconds
        print(f"incremental over 10M / over 5M: {growth:.2f} (goal <= 1.3)")
        small_blocks, large_blocks = small["incremental_blocks"], large["incremental_blocks"]
        print(
            "block accesses of the incremental build, over 10M / over 5M:"
            f" {large_blocks.accesses / small_blocks.accesses:.2f};"
            f" reads into shared buffers: {large_blocks.reads / max(small_blocks.reads, 1):.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-lines", type=int, default=50_000)
    parser.add_argument("--only", choices=sorted(HISTORIES), help="run one history only")
    parser.add_argument(
        "--dashboard-samples",
        type=int,
        default=0,
        help="then time the dashboard's pages over the 10M warehouse for this many filter sets",
    )
    args = parser.parse_args()
    names = [args.only] if args.only else ["5m", "10m"]
    # dbt's target and log folders of its own: a demo or an analyst may run dbt meanwhile.
    os.environ["DBT_TARGET_PATH"] = str(LAKES_DIR.parent / "dbt-target")
    os.environ["DBT_LOG_PATH"] = str(LAKES_DIR.parent / "dbt-logs")
    results = {
        name: scenario(
            name,
            *HISTORIES[name],
            args.batch_lines,
            full_refresh=name == "5m",
            dashboard_samples=args.dashboard_samples if name == "10m" else 0,
        )
        for name in names
    }
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
