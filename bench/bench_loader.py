"""Loader throughput against a single-stream `psql \\copy` of the same lines (issue 2).

    .venv/bin/python -m bench.bench_loader [--events 1000000] [--repeat 2]

1. The generator's week of traffic for `--events` (`bench.lakes.ensure_lake`, made once
   and cached under bench/results/lakes/).
2. Its raw/ lines (invalid/ is left out, so the loader and the baseline handle exactly the
   same lines) are re-packed, in key order, into (a) 20 large and (b) 2,000 small gzip
   objects: the same lines, only the object sizes differ.
3. Baseline: the decompressed lines as one CSV file, `psql \\copy` into `raw.events` of a
   fresh database, one stream. Then `run_load` into a fresh database for (a) and (b).
   A diagnostic phase copies the same CSV into a twin table whose payload is `text`: the
   difference to the baseline is what parsing JSON into jsonb costs the server.
Each phase runs `--repeat` times on a fresh database; the best time counts. Ratios are
events/s divided by the baseline's, all measured in this run on this machine. The
loader's own CPU time (this process, all threads) says how much of its wall time the
client side needs.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import resource
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from bench.lakes import ensure_lake
from loader.core import LoaderSettings, run_load
from shared import db
from shared.embedded_postgres import EmbeddedPostgres
from shared.lake import object_key, open_lake
from shared.ports import free_port

TEXT_TWIN = "bench_events_text"  # raw.events with a text payload: COPY without JSON parsing


def raw_lines(lake: Path) -> list[bytes]:
    source = open_lake(str(lake))
    lines: list[bytes] = []
    for item in source.list("raw/"):
        lines.extend(gzip.decompress(source.read(item.key)).splitlines())
    return lines


def repack(lines: list[bytes], objects: int, target: Path) -> list[tuple[str, list[bytes]]]:
    """The same lines in `objects` gzip objects of equal line counts, keys in line order."""
    per_object = -(-len(lines) // objects)
    lake = open_lake(str(target))
    packed = []
    for index in range(objects):
        chunk = lines[index * per_object : (index + 1) * per_object]
        key = object_key("raw", time_of(index), f"{index:06d}")
        lake.write(key, gzip.compress(b"".join(line + b"\n" for line in chunk), compresslevel=6))
        packed.append((key, chunk))
    return packed


def time_of(index: int) -> datetime:
    return datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=index)


def write_csv(packed: list[tuple[str, list[bytes]]], path: Path) -> None:
    load_id = str(uuid.uuid4())
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for key, chunk in packed:
            for line_no, line in enumerate(chunk, start=1):
                writer.writerow((key, line_no, load_id, line.decode()))


def fresh_database(server: EmbeddedPostgres) -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = server.url(database=name)
    db.bootstrap(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("checkpoint")
    return url


def drop_database(server: EmbeddedPostgres, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


def best_of(
    repeat: int, server: EmbeddedPostgres, phase: Callable[[str], None]
) -> tuple[float, float]:
    """(best wall seconds, this process's CPU seconds in that run)."""
    timings = []
    for _ in range(repeat):
        url = fresh_database(server)
        cpu_before = process_cpu_seconds()
        started = time.perf_counter()
        phase(url)
        timings.append((time.perf_counter() - started, process_cpu_seconds() - cpu_before))
        drop_database(server, url)
    return min(timings)


def process_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def psql_copy(psql: Path, csv_path: Path, table: str = "raw.events") -> Callable[[str], None]:
    def phase(url: str) -> None:
        if table == TEXT_TWIN:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL(
                        "create table {} (like raw.events including all);"
                        " alter table {} alter column payload type text"
                    ).format(sql.Identifier(TEXT_TWIN), sql.Identifier(TEXT_TWIN))
                )
        command = (
            f"\\copy {table} (object_key, line_no, load_id, payload) from '{csv_path}'"
            " with (format csv)"
        )
        subprocess.run(
            [str(psql), url, "-v", "ON_ERROR_STOP=1", "-c", command],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    return phase


def loader(lake: Path, settings: LoaderSettings) -> Callable[[str], None]:
    def phase(url: str) -> None:
        summary = run_load(
            open_lake(str(lake)), db.with_user(url, "clickstream_loader", None), settings
        )
        assert summary.status == "succeeded" and summary.rows_rejected == 0, summary

    return phase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    source = ensure_lake(args.events, 7)
    work = Path(tempfile.mkdtemp(prefix="bench-loader-"))
    server = EmbeddedPostgres(data_dir=work / "pgdata", port=free_port())
    try:
        server.start()
        lines = raw_lines(source)
        large = repack(lines, 20, work / "large")
        repack(lines, 2000, work / "small")
        write_csv(large, work / "lines.csv")
        total_bytes = sum(len(line) for line in lines)
        print(f"{len(lines):,} lines, {total_bytes / len(lines):.0f} bytes per line on average")

        psql = server._bin_dir() / "psql"
        settings = LoaderSettings.from_env()
        baseline_name = "psql \\copy, one stream (baseline)"
        results = {
            baseline_name: best_of(args.repeat, server, psql_copy(psql, work / "lines.csv")),
            "psql \\copy into a text payload (no JSON parsing)": best_of(
                args.repeat, server, psql_copy(psql, work / "lines.csv", TEXT_TWIN)
            ),
            "loader, 20 large objects (a)": best_of(
                args.repeat, server, loader(work / "large", settings)
            ),
            "loader, 2,000 small objects (b)": best_of(
                args.repeat, server, loader(work / "small", settings)
            ),
        }
        baseline = len(lines) / results[baseline_name][0]
        out = io.StringIO()
        out.write(
            "| phase | seconds | events/s | MB/s | vs baseline | client CPU s |\n"
            "|---|---:|---:|---:|---:|---:|\n"
        )
        for name, (seconds, cpu) in results.items():
            rate = len(lines) / seconds
            client = f"{cpu:.2f}" if name.startswith("loader") else "(psql)"
            out.write(
                f"| {name} | {seconds:.2f} | {rate:,.0f} | {total_bytes / seconds / 1e6:.1f}"
                f" | {rate / baseline:.2f}x | {client} |\n"
            )
        print(f"source lake: {source}")
        print(f"loader settings: {settings}; cores: {os.cpu_count()}")
        print(out.getvalue())
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
