"""Loader throughput against a single-stream `psql \\copy` of the same lines (issue 2).

    .venv/bin/python -m bench.bench_loader [--events 1000000] [--repeat 2]

1. `clickstream generate` writes a week of synthetic traffic (no invalid events, so the
   loader and the baseline handle exactly the same lines) into a scratch lake.
2. The raw/ lines are re-packed, in key order, into (a) 20 large and (b) 2,000 small gzip
   objects — the same lines, only the object sizes differ.
3. Baseline: the decompressed lines as one CSV file, `psql \\copy` into `raw.events` of a
   fresh database, one stream. Then `run_load` into a fresh database for (a) and (b).
Each phase runs `--repeat` times on a fresh database; the best time counts. Ratios are
loader events/s divided by the baseline's, both measured in this run on this machine.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from loader.core import LoaderSettings, run_load
from shared import db
from shared.embedded_postgres import EmbeddedPostgres
from shared.lake import object_key, open_lake

ROOT = Path(__file__).resolve().parent.parent
CLICKSTREAM = str(Path(sys.executable).parent / "clickstream")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def generate(lake: Path, events: int) -> None:
    subprocess.run(
        [
            CLICKSTREAM,
            "generate",
            "--lake",
            str(lake),
            "--events",
            str(events),
            "--days",
            "7",
            "--seed",
            "7",
            "--invalid-share",
            "0",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


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


def best_of(repeat: int, server: EmbeddedPostgres, phase: Callable[[str], None]) -> float:
    timings = []
    for _ in range(repeat):
        url = fresh_database(server)
        started = time.perf_counter()
        phase(url)
        timings.append(time.perf_counter() - started)
        drop_database(server, url)
    return min(timings)


def psql_copy(psql: Path, csv_path: Path) -> Callable[[str], None]:
    def phase(url: str) -> None:
        command = (
            f"\\copy raw.events (object_key, line_no, load_id, payload) from '{csv_path}'"
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

    work = Path(tempfile.mkdtemp(prefix="bench-loader-"))
    server = EmbeddedPostgres(data_dir=work / "pgdata", port=free_port())
    try:
        server.start()
        generate(work / "generated", args.events)
        lines = raw_lines(work / "generated")
        large = repack(lines, 20, work / "large")
        repack(lines, 2000, work / "small")
        write_csv(large, work / "lines.csv")
        total_bytes = sum(len(line) for line in lines)
        print(f"{len(lines):,} lines, {total_bytes / len(lines):.0f} bytes per line on average")

        psql = server._bin_dir() / "psql"
        settings = LoaderSettings.from_env()
        results = {
            "psql \\copy, one stream (baseline)": best_of(
                args.repeat, server, psql_copy(psql, work / "lines.csv")
            ),
            "loader, 20 large objects (a)": best_of(
                args.repeat, server, loader(work / "large", settings)
            ),
            "loader, 2,000 small objects (b)": best_of(
                args.repeat, server, loader(work / "small", settings)
            ),
        }
        baseline = len(lines) / results["psql \\copy, one stream (baseline)"]
        out = io.StringIO()
        out.write("| phase | seconds | events/s | vs baseline |\n|---|---:|---:|---:|\n")
        for name, seconds in results.items():
            rate = len(lines) / seconds
            out.write(f"| {name} | {seconds:.2f} | {rate:,.0f} | {rate / baseline:.2f}x |\n")
        print(f"loader settings: {settings}; cores: {os.cpu_count()}")
        print(out.getvalue())
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
