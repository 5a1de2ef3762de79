"""Dashboard page latency over a warehouse built from generated traffic (issue 5).

    .venv/bin/python -m bench.bench_dashboard [--events 10000000] [--days 90] [--samples 40]
    .venv/bin/python -m bench.bench_dashboard --database-url URL   # an already built warehouse

1. `bench.lakes.ensure_lake` gives the generated lake (cached under bench/results/lakes/).
2. The lake is loaded (`run_load`) into a database of its own on an embedded Postgres kept
   under bench/results/dashboard-pg/, and built with `dbt build`. The built database is
   kept: a later run with the same lake skips straight to step 3 (rebuilding 10M events
   takes long).
3. For `--samples` random filter combinations (a range of 1, 7, 28 or 90 days ending on a
   random day of the data, none to two devices, none to two channels), each page's full
   query set and figures (`dashboard.pages.load_page`, exactly what the app runs) is timed
   through the reader role: cold = result cache emptied first, warm = the same filters
   again, answered by the cache (the page's figures are cached with its query results).
   One untimed pass first, so Postgres' own buffers are warm: "cold" is the dashboard's
   cache, not the disk.
Baselines measured in the same run: a `select 1` round trip through the same reader (the
floor any query pays), and the traffic page's session figures computed from fact_sessions
instead of the marts, for the same filters (what the marts save).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from bench.lakes import ensure_lake
from dashboard import pages, queries
from dashboard.filters import Filters
from dashboard.reader import DashboardError, MartReader, ResultCache
from dashboard.settings import DashboardSettings
from loader.core import run_load
from shared import db
from shared.embedded_postgres import EmbeddedPostgres
from shared.lake import open_lake
from shared.ports import free_port
from transform.runner import run_dbt

RESULTS = Path(__file__).resolve().parent / "results"
SERVER_DIR = RESULTS / "dashboard-pg"
# dbt writes here, not into the project's target/, which other runs may be using.
DBT_TARGET = RESULTS / "dashboard-dbt-target"
RANGE_DAYS = (1, 7, 28, 90)
GOAL_COLD_MS, GOAL_WARM_MS = 200.0, 20.0
FACT_SESSIONS_KPIS = sql.SQL(
    """
    select
        count(*) as sessions,
        sum(page_views) as page_views,
        sum(duration_seconds) as duration_seconds,
        count(*) filter (where is_bounce) as bounced_sessions
    from marts.fact_sessions
    where session_date between %(start)s and %(end)s
        and (cardinality(%(devices)s::text[]) = 0 or device_type = any(%(devices)s))
        and (cardinality(%(channels)s::text[]) = 0 or channel = any(%(channels)s))
    """
)


@dataclass(frozen=True)
class Warehouse:
    admin_url: str


def database_name(lake: Path) -> str:
    return "bench_" + lake.name.replace("-", "_")[:50]


def built_marker(name: str) -> Path:
    return SERVER_DIR / f"{name}.built"


def built_warehouse(lake: Path, server: EmbeddedPostgres) -> Warehouse:
    """The database holding this lake loaded and built, made on first use."""
    name = database_name(lake)
    warehouse = Warehouse(server.url(database=name))
    if built_marker(name).is_file():
        print(f"reusing the built warehouse {name}", flush=True)
        return warehouse
    with psycopg.connect(server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    db.bootstrap(warehouse.admin_url)
    started = time.monotonic()
    summary = run_load(
        open_lake(str(lake)), db.with_user(warehouse.admin_url, db.ROLES["loader"].name, None)
    )
    print(f"loaded in {time.monotonic() - started:.0f} s: {summary}", flush=True)
    started = time.monotonic()
    run_dbt(
        "build",
        database_url=db.with_user(warehouse.admin_url, db.ROLES["transform"].name, None),
        echo=False,
    )
    print(f"dbt build in {time.monotonic() - started:.0f} s", flush=True)
    with psycopg.connect(warehouse.admin_url, autocommit=True) as conn:
        conn.execute("vacuum analyze")
    built_marker(name).write_text(f"{lake}\n")
    return warehouse


def random_filters(
    rng: random.Random, first: date, last: date, devices: list[str], channels: list[str]
) -> Filters:
    length = rng.choice(RANGE_DAYS)
    end = first + timedelta(days=rng.randrange((last - first).days + 1))
    return Filters(
        end - timedelta(days=length - 1),
        end,
        tuple(sorted(rng.sample(devices, rng.randint(0, min(2, len(devices)))))),
        tuple(sorted(rng.sample(channels, rng.randint(0, min(2, len(channels)))))),
    )


def timed_ms(action: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    action(*args)
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else 0


@dataclass
class PageTimes:
    cold: list[float]
    warm: list[float]
    failed: int
    statements: int  # distinct statements in one cold load: what the cache then holds


def measure_pages(
    reader: MartReader, samples: list[Filters], settings: DashboardSettings
) -> dict[str, PageTimes]:
    results = {}
    for key in pages.PAGES:
        times = PageTimes([], [], 0, 0)
        for filters in samples:
            try:
                reader.cache.clear()
                times.cold.append(timed_ms(pages.load_page, key, reader, filters, settings))
                # The cache now holds the page's statements and the page itself.
                times.statements = max(times.statements, len(reader.cache) - 1)
                times.warm.append(timed_ms(pages.load_page, key, reader, filters, settings))
            except DashboardError as error:
                times.failed += 1
                print(f"  {key} {filters}: {error}", file=sys.stderr)
        results[key] = times
    return results


def measure_baselines(
    reader: MartReader, warehouse: Warehouse, samples: list[Filters]
) -> tuple[list[float], list[float]]:
    floor = []
    for _ in samples:
        reader.cache.clear()
        floor.append(timed_ms(reader.frame, sql.SQL("select 1 as one")))
    from_facts = []
    with psycopg.connect(warehouse.admin_url, autocommit=True) as conn:
        for filters in samples:
            from_facts.append(
                timed_ms(lambda f=filters: conn.execute(FACT_SESSIONS_KPIS, f.params()).fetchall())
            )
    return floor, from_facts


def report(results: dict[str, PageTimes], floor: list[float], from_facts: list[float]) -> bool:
    print("\n| page | queries | cold p50 | cold p95 | warm p50 | warm p95 | failed | goal |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    all_met = True
    for key, times in results.items():
        cold_p95, warm_p95 = p95(times.cold), p95(times.warm)
        met = times.failed == 0 and cold_p95 <= GOAL_COLD_MS and warm_p95 <= GOAL_WARM_MS
        all_met &= met
        print(
            f"| {pages.PAGES[key][0]} | {times.statements}"
            f" | {statistics.median(times.cold):.1f} ms | **{cold_p95:.1f} ms**"
            f" | {statistics.median(times.warm):.2f} ms | **{warm_p95:.2f} ms**"
            f" | {times.failed} | {'met' if met else 'MISSED'} |"
        )
    traffic_cold = p95(results["traffic"].cold)
    print(f"\nbaseline `select 1` through the reader: p95 {p95(floor):.2f} ms")
    print(
        f"baseline traffic session figures from fact_sessions: p95 {p95(from_facts):.1f} ms"
        f" = {p95(from_facts) / traffic_cold:.1f}x the traffic page's whole cold query set"
    )
    return all_met


def mart_sizes(warehouse: Warehouse) -> list[tuple[str, int]]:
    with psycopg.connect(warehouse.admin_url) as conn:
        return conn.execute(
            "select relname, n_live_tup from pg_stat_user_tables"
            " where schemaname = 'marts' order by n_live_tup desc"
        ).fetchall()


def measure(warehouse: Warehouse, sample_count: int, seed: int) -> bool:
    """Time every page over the warehouse and print the report; True when all met the goal."""
    print(f"mart rows: {mart_sizes(warehouse)}", flush=True)
    reader = MartReader(
        db.with_user(warehouse.admin_url, db.ROLES["reader"].name, None),
        ResultCache(ttl_seconds=3600),
    )
    settings = DashboardSettings()
    first, last = queries.data_coverage(reader).iloc[0]
    choices = queries.filter_choices(reader)
    devices = choices[choices["kind"] == "device"]["value"].tolist()
    channels = choices[choices["kind"] == "channel"]["value"].tolist()
    rng = random.Random(seed)
    samples = [random_filters(rng, first, last, devices, channels) for _ in range(sample_count)]
    print(f"{sample_count} filter combinations over {first} .. {last}", flush=True)
    measure_pages(reader, samples[:3], settings)  # untimed: warm Postgres' buffers
    results = measure_pages(reader, samples, settings)
    floor, from_facts = measure_baselines(reader, warehouse, samples)
    reader.close()
    return report(results, floor, from_facts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7, help="for the filter combinations")
    parser.add_argument(
        "--database-url",
        help="an administrator's URL of a warehouse already built (bootstrapped roles, marts):"
        " measure it instead of loading and building a lake",
    )
    args = parser.parse_args(argv)
    os.environ["DBT_TARGET_PATH"] = str(DBT_TARGET)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    if args.database_url:
        all_met = measure(Warehouse(args.database_url), args.samples, args.seed)
    else:
        lake = ensure_lake(args.events, args.days)
        SERVER_DIR.mkdir(parents=True, exist_ok=True)
        server = EmbeddedPostgres(SERVER_DIR / "pgdata", free_port())
        if server.is_running():  # left by an interrupted run, on a port we no longer know
            server.stop()
        server.start()
        try:
            all_met = measure(built_warehouse(lake, server), args.samples, args.seed)
        finally:
            server.stop()
    print(f"\nload average at end: {os.getloadavg()}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
