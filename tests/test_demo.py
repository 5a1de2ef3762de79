"""`clickstream demo` as a new user runs it: generate, load, build, serve, Ctrl-C; then again."""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest

from shared.embedded_postgres import EmbeddedPostgres
from shared.ports import free_port
from tests.generator.conftest import read_lake

CLICKSTREAM = str(Path(sys.executable).parent / "clickstream")
EVENTS = 3_000
FIGURES = re.compile(r"^  figures \(JSON\)\s+(\{.*\})$", re.MULTILINE)


def demo_environment(state: Path, tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CLICKSTREAM_", "DBT_", "INGEST_", "LOADER_", "DASHBOARD_"))
        and key not in ("DATABASE_URL", "READER_DATABASE_URL", "TRANSFORM_DATABASE_URL")
    }
    port = free_port()
    return env | {
        "CLICKSTREAM_STATE_DIR": str(state),
        "CLICKSTREAM_DB_PORT": str(port),
        "DBT_PG_PORT": str(port),
        # Not the checkout's target/ and logs/: other dbt runs may share the checkout.
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
    }


def wait_for_line(output: Path, process: subprocess.Popen, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        printed = output.read_text(errors="replace")
        if text in printed:
            return printed
        assert process.poll() is None, f"the demo exited early:\n{printed[-3000:]}"
        time.sleep(0.5)
    raise AssertionError(f"no {text!r} within {timeout}s:\n{output.read_text()[-3000:]}")


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, html.unescape(answer.read().decode("utf-8", errors="replace"))


def held_in_postgres(url: str) -> dict:
    with psycopg.connect(url) as conn:
        loaded, rejected, sessions, orders, revenue = conn.execute(
            "select (select count(*) from raw.events), (select count(*) from raw.events_rejected),"
            " count(*), coalesce(sum(orders), 0), coalesce(sum(revenue), 0)"
            " from marts.fact_sessions"
        ).fetchone()
    return {
        "rows_loaded": loaded,
        "rows_rejected": rejected,
        "sessions": sessions,
        "orders": int(orders),
        "revenue": round(float(revenue), 2),
    }


def processes_of(state: Path) -> list[str]:
    """Processes still running with the demo's state folder in their environment."""
    marker = f"CLICKSTREAM_STATE_DIR={state}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def stray_processes(state: Path, timeout: float = 20) -> list[str]:
    """What is still running after `timeout` (helpers such as multiprocessing's resource
    tracker exit a moment after the process they served)."""
    deadline = time.monotonic() + timeout
    while (left := processes_of(state)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


@pytest.mark.slow
def test_demo_generates_loads_builds_serves_and_stops_cleanly(
    state_dir_for_postgres: Path, tmp_path: Path
) -> None:
    env = demo_environment(state_dir_for_postgres, tmp_path)
    ports = {name: free_port() for name in ("api", "storefront", "dashboard", "docs")}
    output = tmp_path / "demo.out"
    server = EmbeddedPostgres(state_dir_for_postgres / "pgdata", int(env["CLICKSTREAM_DB_PORT"]))
    with output.open("w") as handle:
        process = subprocess.Popen(
            [CLICKSTREAM, "demo", "--events", str(EVENTS)]
            + [arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        printed = wait_for_line(output, process, "Press Ctrl-C to stop.", timeout=600)
        figures = json.loads(FIGURES.search(printed).group(1))
        assert figures == held_in_postgres(server.url())

        urls = {
            "dashboard": f"http://127.0.0.1:{ports['dashboard']}/",
            "docs": f"http://127.0.0.1:{ports['docs']}/",
            "storefront": f"http://127.0.0.1:{ports['storefront']}/",
            "health": f"http://127.0.0.1:{ports['api']}/healthz",
        }
        for url in urls.values():
            assert url in printed or url.removesuffix("healthz") in printed, url
        pages = {name: fetch(url) for name, url in urls.items()}
        assert all(status == 200 for status, _ in pages.values()), pages
        assert "Traffic & Engagement" in pages["dashboard"][1]
        assert "<title>dbt Docs</title>" in pages["docs"][1]
        assert "<title>Byte Corner</title>" in pages["storefront"][1]

        lake = read_lake(state_dir_for_postgres / "lake")
        generated = len(lake.events) + len(lake.rejections)
        assert abs(generated - EVENTS) < 0.2 * EVENTS
        assert figures["rows_loaded"] + figures["rows_rejected"] == generated
        assert figures["sessions"] > 0 and figures["orders"] > 0 and figures["revenue"] > 0

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, output.read_text()[-3000:]
    finally:
        if process.poll() is None:  # the test failed: leave nothing behind either
            process.kill()
            process.wait()
            server.stop()
    assert stray_processes(state_dir_for_postgres) == []
    assert not server.is_running()

    again = subprocess.run(
        [CLICKSTREAM, "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "reusing the generated lake" in again.stdout
    assert "loaded this run   0 rows, 0 rejected, 0 objects" in again.stdout
    assert json.loads(FIGURES.search(again.stdout).group(1)) == figures  # nothing twice
    assert stray_processes(state_dir_for_postgres) == []
