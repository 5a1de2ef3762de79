"""Real servers and a real browser for the end-to-end tests.

The ingest API (`clickstream serve`) and the storefront (`clickstream storefront`) run as
their own processes on free loopback ports, exactly as a developer starts them; the browser
is Debian's chromium driven by playwright.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.ports import free_port
from tests.conftest import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Headless chromium says "HeadlessChrome", which the ingest API rightly flags as a bot and
# the warehouse then leaves out of fact_sessions; the test plays a person on desktop Chrome.
# It is a launch flag, not a context option: beacons, sent by the browser process, ignore
# playwright's per-context user-agent override.
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
WRITE_KEY = "e2e-write-key"
CLICKSTREAM = str(Path(sys.executable).parent / "clickstream")


@dataclass(frozen=True)
class Servers:
    lake: Path
    ingest_url: str
    storefront_url: str


def wait_until_serving(process: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    pytest.fail(f"{url} did not answer within {timeout} s:\n{log.read_text()}")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as output:
        return subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT
        )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    # Always rebuild: a stale sdk/dist/ would test yesterday's SDK (esbuild + tsc: seconds).
    subprocess.run(
        ["npm", "run", "build"], cwd=PROJECT_ROOT / "sdk", check=True, capture_output=True
    )
    lake = tmp_path / "lake"
    ingest_port, storefront_port = free_port(), free_port()
    ingest_url = f"http://127.0.0.1:{ingest_port}"
    storefront_url = f"http://127.0.0.1:{storefront_port}"
    env = {
        **os.environ,
        "CLICKSTREAM_STATE_DIR": str(tmp_path / "state"),
        "INGEST_ALLOWED_ORIGINS": storefront_url,
        "INGEST_WRITE_KEYS": WRITE_KEY,
    }
    ingest = start(
        [
            CLICKSTREAM,
            "serve",
            "--lake",
            str(lake),
            "--host",
            "127.0.0.1",
            "--port",
            str(ingest_port),
        ],
        env,
        tmp_path / "ingest.log",
    )
    storefront = start(
        [
            CLICKSTREAM,
            "storefront",
            "--host",
            "127.0.0.1",
            "--port",
            str(storefront_port),
            "--endpoint",
            f"{ingest_url}/v1/events",
            "--write-key",
            WRITE_KEY,
        ],
        env,
        tmp_path / "storefront.log",
    )
    try:
        wait_until_serving(ingest, f"{ingest_url}/healthz", tmp_path / "ingest.log", 30)
        wait_until_serving(storefront, f"{storefront_url}/", tmp_path / "storefront.log", 30)
        yield Servers(lake, ingest_url, storefront_url)
    finally:
        stop(storefront)
        stop(ingest)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/install-system-deps.sh` as root")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--user-agent={DESKTOP_CHROME}"]
        )
        yield browser
        browser.close()
