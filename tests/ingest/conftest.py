"""Fixtures for the ingest API: events, a local lake read back independently, real servers.

The lake is read here with gzip and json from the standard library, not with the code
under test, and expected values are written out by hand.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import uvicorn
from moto.server import ThreadedMotoServer

from ingest.asgi import create_app
from ingest.config import IngestConfig
from ingest.core import HttpRequest, HttpResponse, IngestService
from shared.ports import free_port

RECEIVED_AT = datetime(2026, 11, 23, 10, 15, 30, 250000, tzinfo=UTC)
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
TEST_SALT = "test-salt-7f3a"


def make_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "ts": "2026-11-23T17:15:00+07:00",
        "event_type": "view",
        "session_id": "s-1",
        "anonymous_id": "a-1",
        "page_url": "https://shop.example/laptops",
    }
    event.update(overrides)
    return event


def batch(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}, ensure_ascii=False).encode("utf-8")


def ndjson_records(data: bytes) -> list[dict[str, Any]]:
    """The records of a gzipped NDJSON object. Lines end at b"\n" only, as the loader reads
    them: U+2028 or U+0085 inside a string must not split a record."""
    text = gzip.decompress(data).decode("utf-8")  # strict: the lake holds valid UTF-8
    return [json.loads(line) for line in text.removesuffix("\n").split("\n")]


def read_area(root: Path, area: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """(key, records) for each object under raw/ or invalid/, in key order."""
    return [
        (path.relative_to(root).as_posix(), ndjson_records(path.read_bytes()))
        for path in sorted((root / area).rglob("*.ndjson.gz"))
    ]


def records(root: Path, area: str) -> list[dict[str, Any]]:
    return [record for _, found in read_area(root, area) for record in found]


def lake_bytes(root: Path) -> bytes:
    """Everything the lake holds, gunzipped: for asserting what never reaches it."""
    return b"".join(gzip.decompress(path.read_bytes()) for path in sorted(root.rglob("*.gz")))


def local_config(lake: Path, **overrides: Any) -> IngestConfig:
    config = IngestConfig.from_env(lake_url=str(lake))
    config = replace(config, enrichment=replace(config.enrichment, user_id_salt=TEST_SALT))
    return replace(config, **overrides)


@dataclass
class Client:
    """Calls the core directly with a transport-neutral request."""

    service: IngestService

    def post(
        self,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        received_at: datetime = RECEIVED_AT,
        method: str = "POST",
        path: str = "/v1/events",
    ) -> HttpResponse:
        all_headers = {"content-type": content_type, "user-agent": CHROME_ON_WINDOWS}
        all_headers.update(headers or {})
        request = HttpRequest(
            method=method,
            path=path,
            headers={name.lower(): value for name, value in all_headers.items()},
            query=query or {},
            body=body,
            request_id=f"req-{uuid.uuid4().hex[:12]}",
            received_at=received_at,
        )
        return self.service.handle(request)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def client(lake: Path) -> Client:
    return Client(IngestService.from_config(local_config(lake)))


def json_body(response: HttpResponse) -> dict[str, Any]:
    return json.loads(response.body)


@contextmanager
def running_server(service: IngestService) -> Iterator[str]:
    """uvicorn (uvloop + httptools, as `clickstream serve`) on a free loopback port."""
    port = free_port()
    config = uvicorn.Config(
        create_app(service),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 10 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto in server mode on loopback: S3 and SQS over real HTTP."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass(frozen=True)
class Aws:
    endpoint: str
    bucket: str
    queue_url: str

    def s3(self) -> Any:
        return boto3.client("s3")

    def sqs(self) -> Any:
        return boto3.client("sqs")

    def lake_records(self, prefix: str, area: str) -> list[dict[str, Any]]:
        s3 = self.s3()
        listed = s3.list_objects_v2(Bucket=self.bucket, Prefix=f"{prefix}/{area}/")
        found = []
        for item in listed.get("Contents", []):
            data = s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
            found.extend(ndjson_records(data))
        return found

    def drain_queue(self) -> list[str]:
        """Every message body in the DLQ (received, not deleted)."""
        bodies: list[str] = []
        while True:
            response = self.sqs().receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
            )
            messages = response.get("Messages", [])
            if not messages:
                return bodies
            bodies.extend(message["Body"] for message in messages)


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Aws:
    """A fresh bucket and queue on the moto server; boto3 pointed at it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    suffix = uuid.uuid4().hex[:10]
    bucket = f"lake-{suffix}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    queue_url = boto3.client("sqs").create_queue(QueueName=f"dlq-{suffix}")["QueueUrl"]
    return Aws(moto_endpoint, bucket, queue_url)
