"""`clickstream storefront` says where it is and whether its events will get through: a
missing ingest API, or one that does not allow the storefront's origin, is a warning with
the fix; a busy port is an error naming it."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from ingest.core import IngestService
from shared.ports import free_port
from tests.conftest import PROJECT_ROOT
from tests.e2e.conftest import CLICKSTREAM, stop, wait_until_serving
from tests.ingest.conftest import local_config, running_server


def storefront_output(tmp_path: Path, endpoint: str) -> tuple[str, list[str]]:
    """(the storefront's URL, its output) once it serves pages: its checks are done then."""
    port = free_port()
    log = tmp_path / "storefront.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [CLICKSTREAM, "storefront", "--port", str(port), "--endpoint", endpoint],
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, f"{url}/", log, 30)
    finally:
        stop(process)
    return url, log.read_text().splitlines()


def test_without_an_ingest_api_it_says_how_to_start_one(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}/v1/events"
    url, lines = storefront_output(tmp_path, endpoint)
    assert lines == [
        f"storefront on {url}/ sending events to {endpoint}; press Ctrl+C to stop",
        f"warning: no ingest API answers at {endpoint} yet; start one with `clickstream "
        "serve` (until then the pages keep their events in the browser)",
    ]


def test_an_api_that_refuses_the_origin_gets_a_warning_with_the_fix(tmp_path: Path) -> None:
    service = IngestService.from_config(
        local_config(tmp_path / "lake", allowed_origins=("https://shop.example",))
    )
    with running_server(service) as base_url:
        url, lines = storefront_output(tmp_path, f"{base_url}/v1/events")
    assert lines[1] == (
        f"warning: the ingest API at {base_url}/v1/events does not allow the origin {url}: "
        f"start it with `clickstream serve --allow-origin {url}` "
        f"(or INGEST_ALLOWED_ORIGINS={url})"
    )


def test_an_api_that_allows_the_origin_gets_no_warning(tmp_path: Path) -> None:
    service = IngestService.from_config(local_config(tmp_path / "lake", allowed_origins=("*",)))
    with running_server(service) as base_url:
        url, lines = storefront_output(tmp_path, f"{base_url}/v1/events")
    assert lines == [
        f"storefront on {url}/ sending events to {base_url}/v1/events; press Ctrl+C to stop"
    ]


def test_a_busy_port_is_an_error_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [CLICKSTREAM, "storefront", "--port", str(port)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"clickstream storefront: error: port {port} on 127.0.0.1 is already in use (another "
        "storefront?); stop that process or pick another port with --port"
    )
