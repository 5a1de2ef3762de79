"""The ingest API over real sockets: uvicorn + Starlette on loopback, a real local lake."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from ingest.core import IngestService
from shared.ports import free_port
from shared.settings import IngestLimits
from tests.conftest import PROJECT_ROOT
from tests.ingest.conftest import (
    batch,
    lake_bytes,
    local_config,
    make_event,
    records,
    running_server,
)

SHOP = "https://shop.example"
CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "access-control-expose-headers",
)


@pytest.fixture
def server(lake: Path):
    config = local_config(
        lake,
        allowed_origins=(SHOP, "http://localhost:3000"),
        limits=IngestLimits(max_body_bytes=65_536),
    )
    with running_server(IngestService.from_config(config)) as base_url:
        yield base_url


def test_status_codes_over_http(server: str, lake: Path) -> None:
    with httpx.Client(base_url=server) as http:
        health = http.get("/healthz")
        accepted = http.post("/v1/events", json={"events": [make_event(), make_event()]})
        beacon = http.post(
            "/v1/events",
            content=json.dumps(make_event()),
            headers={"content-type": "text/plain;charset=UTF-8"},
        )
        unparseable = http.post(
            "/v1/events", content=b"{oops", headers={"content-type": "application/json"}
        )
        wrong_type = http.post("/v1/events", content=b"{}", headers={"content-type": "text/xml"})
        wrong_method = http.get("/v1/events")
        unknown = http.post("/v2/events", json=make_event())

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert accepted.status_code == 202
    assert accepted.json()["accepted"] == 2
    assert beacon.status_code == 202
    assert unparseable.status_code == 400
    assert unparseable.json()["error"] == "unparseable"
    assert wrong_type.status_code == 415
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "POST, OPTIONS")
    assert unknown.status_code == 404
    for response in (health, accepted, unparseable, wrong_type, wrong_method, unknown):
        assert response.headers["x-request-id"]
    assert len(records(lake, "raw")) == 3
    assert [record["reason"] for record in records(lake, "invalid")] == ["unparseable"]


def raw_exchange(base_url: str, request: bytes) -> bytes:
    """Send bytes on a fresh connection and read until the server closes it."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65_536):
            received += chunk
    return received


def test_an_oversized_body_is_refused_without_reading_it(server: str, lake: Path) -> None:
    # Declares 10 MB but sends only 1 KB: the answer must come without waiting for the rest.
    head = (
        b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n"
    )
    answer = raw_exchange(server, head + b"{" + b" " * 1023)

    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"connection: close" in rest.lower()
    assert b"body_too_large" in rest
    assert not lake.exists() or list(lake.rglob("*.gz")) == []


def test_a_chunked_body_is_cut_off_at_the_limit(server: str, lake: Path) -> None:
    chunk = b" " * 16_384
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5))  # 80 KB > 64 KB
    head = (
        b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    # The terminating chunk is never sent: the server must answer anyway.
    answer = raw_exchange(server, head + body)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert not lake.exists() or list(lake.rglob("*.gz")) == []


def test_cors_for_allowed_origins_only(server: str) -> None:
    preflight = {"access-control-request-method": "POST"}
    with httpx.Client(base_url=server) as http:
        allowed = http.options("/v1/events", headers={"origin": SHOP, **preflight})
        local = http.options("/v1/events", headers={"origin": "http://localhost:3000"})
        unknown = http.options("/v1/events", headers={"origin": "https://evil.example"})
        post_allowed = http.post("/v1/events", json=make_event(), headers={"origin": SHOP})
        post_unknown = http.post(
            "/v1/events", json=make_event(), headers={"origin": "https://evil.example"}
        )

    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert allowed.headers["access-control-allow-methods"] == "POST, OPTIONS"
    assert allowed.headers["access-control-allow-headers"] == (
        "content-type, x-api-key, authorization"
    )
    assert allowed.headers["vary"] == "Origin"
    assert local.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert unknown.status_code == 403
    assert post_allowed.status_code == 202
    assert post_allowed.headers["access-control-allow-origin"] == SHOP
    assert "x-request-id" in post_allowed.headers["access-control-expose-headers"]
    # Events from unknown origins are still stored (sendBeacon needs no CORS), but the
    # browser is not allowed to read the answer.
    assert post_unknown.status_code == 202
    for response in (unknown, post_unknown):
        assert not [name for name in response.headers if name in CORS_HEADERS]


def test_the_client_ip_is_never_stored(server: str, lake: Path) -> None:
    with httpx.Client(base_url=server) as http:
        response = http.post(
            "/v1/events",
            json=make_event(),
            headers={"x-forwarded-for": "203.0.113.77", "x-real-ip": "203.0.113.78"},
        )
    assert response.status_code == 202
    stored = lake_bytes(lake)
    assert b"127.0.0.1" not in stored
    assert b"203.0.113.7" not in stored


def test_concurrent_requests_are_all_stored_once(server: str, lake: Path) -> None:
    events = [[make_event(session_id=f"s-{n}") for _ in range(10)] for n in range(40)]
    with httpx.Client(base_url=server, limits=httpx.Limits(max_connections=16)) as http:

        def send(group: list[dict]) -> int:
            return http.post("/v1/events", json={"events": group}).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(send, events))

    assert statuses == [202] * 40
    stored_ids = sorted(record["event_id"] for record in records(lake, "raw"))
    assert stored_ids == sorted(event["event_id"] for group in events for event in group)


def test_lake_failure_answers_503_over_http(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.write_text("a file where the lake folder should be")
    with running_server(IngestService.from_config(local_config(lake))) as base_url:
        response = httpx.post(f"{base_url}/v1/events", json=make_event())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    assert response.json()["error"] == "storage_unavailable"


def test_write_key_in_query_for_sendbeacon(lake: Path) -> None:
    config = local_config(lake, write_keys=("pk_live_123",))
    with running_server(IngestService.from_config(config)) as base_url:
        body = json.dumps(make_event())
        plain = {"content-type": "text/plain"}
        refused = httpx.post(f"{base_url}/v1/events", content=body, headers=plain)
        accepted = httpx.post(
            f"{base_url}/v1/events?writeKey=pk_live_123", content=body, headers=plain
        )
        by_header = httpx.post(
            f"{base_url}/v1/events", json=make_event(), headers={"x-api-key": "pk_live_123"}
        )
    assert refused.status_code == 401
    assert accepted.status_code == 202
    assert by_header.status_code == 202
    assert len(records(lake, "raw")) == 2


def test_clickstream_serve_with_two_workers(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    port = free_port()
    environment = {**os.environ, "CLICKSTREAM_USER_ID_SALT": "serve-test"}
    environment.pop("INGEST_ALLOWED_ORIGINS", None)  # the storefront's origins by default
    command = [
        str(Path(sys.executable).with_name("clickstream")),
        *("serve", "--lake", str(lake), "--port", str(port), "--workers", "2"),
    ]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process)
        sent = [make_event() for _ in range(3)]
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/events",
            content=batch(*sent),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 202
        preflight = httpx.options(
            f"http://127.0.0.1:{port}/v1/events", headers={"origin": "http://localhost:8000"}
        )
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    base = f"http://127.0.0.1:{port}"
    assert output.splitlines()[:4] == [
        f"ingest API on {base}: POST {base}/v1/events, GET {base}/healthz",
        f"  lake {lake}; dead-letter queue none",
        "  browser origins allowed: http://127.0.0.1:8000, http://localhost:8000; "
        "write key not required",
        "  2 workers; press Ctrl+C to stop",
    ]
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:8000"
    stored_ids = sorted(record["event_id"] for record in records(lake, "raw"))
    assert stored_ids == sorted(event["event_id"] for event in sent)
    log_lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [post_line] = [line for line in log_lines if line.get("method") == "POST"]
    assert post_line["request_id"] == response.headers["x-request-id"]
    assert (post_line["status"], post_line["accepted"]) == (202, 3)
    assert "127.0.0.1" not in json.dumps(log_lines)


def wait_until_healthy(base_url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"clickstream serve exited: {process.stdout.read()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("clickstream serve did not answer /healthz within 30 s")
