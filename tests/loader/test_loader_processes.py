"""The loader as an operator runs it: a process that can be killed, raced or cut off."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from loader.core import ADVISORY_LOCK_KEY, APPLICATION_NAME, LoaderSettings, run_load
from shared.lake import open_lake
from shared.ports import free_port
from tests.conftest import Warehouse
from tests.loader.conftest import (
    assert_every_line_accounted_for,
    landed,
    write_numbered_objects,
    write_object,
)

CLICKSTREAM = str(Path(sys.executable).parent / "clickstream")


def start_loader(lake: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [CLICKSTREAM, "load", "--lake", str(lake)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout: float = 60.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def copy_in_progress(warehouse: Warehouse) -> bool:
    return (
        warehouse.scalar(
            "select count(*) from pg_stat_progress_copy as p join pg_stat_activity as a using (pid)"
            " where a.application_name = %s and p.tuples_processed > 0",
            (APPLICATION_NAME,),
        )
        > 0
    )


def loader_sessions(warehouse: Warehouse) -> int:
    return warehouse.scalar(
        "select count(*) from pg_stat_activity where application_name = %s", (APPLICATION_NAME,)
    )


def test_kill_9_during_copy_then_rerun_leaves_exactly_one_row_per_line(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    lines = write_numbered_objects(lake_dir, objects=40, lines_per_object=5000)
    process = start_loader(lake_dir, LOADER_BATCH_MAX_OBJECTS="4")

    wait_for(lambda: copy_in_progress(warehouse))
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    wait_for(lambda: loader_sessions(warehouse) == 0)  # the server noticed and rolled back

    interrupted_rows = landed(warehouse)[0]
    manifest_rows = warehouse.scalar("select coalesce(sum(rows_loaded), 0) from raw.load_manifest")
    assert process.returncode == -signal.SIGKILL
    assert interrupted_rows < lines, "the kill came too late to test anything"
    assert interrupted_rows == manifest_rows, "rows without their manifest row: half-loaded"

    summary = run_load(open_lake(str(lake_dir)), warehouse.url("loader"), LoaderSettings())

    assert summary.rows_loaded == lines - interrupted_rows
    assert landed(warehouse) == (lines, 0)
    assert warehouse.scalar("select count(*) from raw.load_manifest") == 40
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_two_loaders_started_together_never_double_load(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    lines = write_numbered_objects(lake_dir, objects=20, lines_per_object=2000)

    first = start_loader(lake_dir, LOADER_BATCH_MAX_OBJECTS="2")
    second = start_loader(lake_dir, LOADER_BATCH_MAX_OBJECTS="2")
    outputs = [process.communicate(timeout=300) for process in (first, second)]

    assert [process.returncode for process in (first, second)] == [0, 0], outputs
    runs = warehouse.query("select status, rows_loaded from raw.load_runs order by started_at")
    skipped = [line for out, _ in outputs for line in out.splitlines() if '"skipped"' in line]
    # Either the second found the lock taken, or it started after the first finished.
    assert len(skipped) == 1 or sorted(rows for _, rows in runs) == [0, lines]
    assert landed(warehouse) == (lines, 0)
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_postgres_unreachable_is_a_clear_error_and_nothing_is_lost(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    lines = write_numbered_objects(lake_dir, objects=3, lines_per_object=10)
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/clickstream"
    before = sorted(path.stat().st_mtime_ns for path in lake_dir.rglob("*.gz"))

    process = start_loader(lake_dir, DATABASE_URL=nowhere)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 1
    assert "cannot connect to Postgres at postgresql://clickstream_loader@127.0.0.1" in err
    assert "check DATABASE_URL" in err
    assert "Traceback" not in err
    assert sorted(path.stat().st_mtime_ns for path in lake_dir.rglob("*.gz")) == before

    summary = run_load(open_lake(str(lake_dir)), warehouse.url("loader"), LoaderSettings())
    assert summary.rows_loaded == lines
    assert_every_line_accounted_for(warehouse, lake_dir)


def run_summary(stdout: str) -> dict:
    """The run's JSON log line among the command's output."""
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    finished = [line for line in lines if "load_id" in line and "status" in line]
    assert len(finished) == 1, stdout
    return finished[0]


def test_a_loader_finding_the_lock_taken_loads_nothing_and_says_so(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    """The racing test above may see the two runs one after the other; this one cannot."""
    lines = write_numbered_objects(lake_dir, objects=3, lines_per_object=10)
    with psycopg.connect(warehouse.admin_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        blocked = start_loader(lake_dir)
        out, err = blocked.communicate(timeout=120)

    assert blocked.returncode == 0, err
    assert run_summary(out)["status"] == "skipped"
    assert landed(warehouse) == (0, 0)
    assert warehouse.scalar("select count(*) from raw.load_runs") == 0

    after = start_loader(lake_dir)
    out, err = after.communicate(timeout=120)
    assert (after.returncode, run_summary(out)["rows_loaded"]) == (0, lines), err
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_each_run_prints_one_json_line_with_its_figures(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    lines = write_numbered_objects(lake_dir, objects=4, lines_per_object=10)
    write_object(lake_dir, [b"not json"], unique="zz-bad")
    size = sum(path.stat().st_size for path in lake_dir.rglob("*.gz"))

    process = start_loader(lake_dir)
    out, err = process.communicate(timeout=120)

    assert process.returncode == 0, err
    summary = run_summary(out)
    assert summary["status"] == "succeeded"
    assert summary["service"] == "loader" and summary["level"] == "INFO"
    assert (summary["objects_loaded"], summary["rows_loaded"], summary["rows_rejected"]) == (
        5, lines, 1,
    )  # fmt: skip
    assert summary["bytes_loaded"] == size
    assert summary["seconds"] > 0
    oldest = min(path.stat().st_mtime for path in lake_dir.rglob("*.gz"))
    assert time.time() - oldest - 1 <= summary["lag_seconds"] <= time.time() - oldest + 1
    assert_every_line_accounted_for(warehouse, lake_dir)


@pytest.mark.parametrize("workers", [1, 3])
def test_worker_count_does_not_change_the_result(
    warehouse: Warehouse, lake_dir: Path, workers: int
) -> None:
    lines = write_numbered_objects(lake_dir, objects=9, lines_per_object=30)
    run_load(
        open_lake(str(lake_dir)),
        warehouse.url("loader"),
        LoaderSettings(workers=workers, batch_max_objects=2),
    )
    assert landed(warehouse) == (lines, 0)
    assert warehouse.scalar("select count(*) from raw.load_manifest") == 9
    assert_every_line_accounted_for(warehouse, lake_dir)
