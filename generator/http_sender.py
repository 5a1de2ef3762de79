"""Sending the synthetic traffic to a running ingest API instead of writing the lake.

Each simulated request becomes one `POST {"events": [...]}` with the visitor's
User-Agent and a `CloudFront-Viewer-Country` header (what the CDN in front of the API
adds). The server stamps `received_at`, so `sent_at` is the real time of the post plus
the device's clock skew, which keeps the server's `ts_corrected` on the simulated event
time. 5xx and 429 answers and connection failures are retried with exponential backoff
and jitter (a retry is re-stamped, as the SDK does); other 4xx answers are final: the
server has refused the body and, per the contract, written it to `invalid/`.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from collections.abc import Callable
from random import Random
from urllib.parse import urlsplit

from generator.browser import Delivery
from generator.config import GenerationSummary, GeneratorConfig
from generator.journeys import SessionTraffic, simulate
from generator.plan import TrafficPlan
from generator.run import record_events, record_session
from shared.settings import ConfigError

LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 10.0
TIMEOUT_SECONDS = 30.0


class DeliveryError(RuntimeError):
    """The ingest endpoint could not be reached or kept failing."""


def encode_body(events: list) -> bytes:
    """`JSON.stringify({events})` as a browser does it: UTF-8, lone surrogates escaped."""
    text = json.dumps({"events": events}, ensure_ascii=False, separators=(",", ":"))
    text = LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text.encode("utf-8")


class IngestClient:
    """One keep-alive connection to the endpoint, reopened after failures."""

    def __init__(self, url: str, sleep: Callable[[float], None] = time.sleep) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"--url {url!r} is not an http(s) URL; e.g. http://127.0.0.1:8080/v1/events"
            )
        self.url = url
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.path = parts.path or "/"
        if parts.query:
            self.path += f"?{parts.query}"
        self.sleep = sleep
        self.backoff = Random(0)  # noqa: S311 -- jitter, not secrets
        self.connection: http.client.HTTPConnection | None = None

    def connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            factory = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            self.connection = factory(self.host, self.port, timeout=TIMEOUT_SECONDS)
        return self.connection

    def disconnect(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def post(self, body: Callable[[], bytes], headers: dict[str, str]) -> tuple[int, int]:
        """POST until settled; returns (final status, retries). `body` is re-made per attempt."""
        problem = ""
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
                self.sleep(self.backoff.uniform(ceiling / 2, ceiling))
            try:
                connection = self.connect()
                connection.request("POST", self.path, body=body(), headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                self.disconnect()
                problem = f"{type(error).__name__}: {error}"
                continue
            if status < 500 and status != 429:
                return status, attempt
            problem = f"HTTP {status}"
        raise DeliveryError(
            f"POST {self.url} still failing after {MAX_ATTEMPTS} attempts ({problem}); "
            "is the ingest API running (clickstream serve) and healthy?"
        )


def send_delivery(
    client: IngestClient,
    summary: GenerationSummary,
    traffic: SessionTraffic,
    delivery: Delivery,
    write_key: str | None = None,
) -> None:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": traffic.user_agent,
        "CloudFront-Viewer-Country": traffic.country,
    }
    if write_key:
        headers["x-api-key"] = write_key

    def body() -> bytes:
        now_ms = int(time.time() * 1000)
        return encode_body(delivery.payload(now_ms + delivery.clock_skew_ms))

    status, retries = client.post(body, headers)
    summary.requests += 1
    summary.http_retries += retries
    if status >= 400:
        summary.http_refused += 1
    valid_types = [
        item["event_type"]
        for item, valid in zip(delivery.items, delivery.valid, strict=True)
        if valid
    ]
    summary.valid_lines += len(valid_types)
    summary.invalid_lines += len(delivery.items) - len(valid_types)
    record_events(summary, traffic, delivery, valid_types)


def generate_to_url(
    url: str,
    config: GeneratorConfig,
    client: IngestClient | None = None,
    *,
    write_key: str | None = None,
) -> GenerationSummary:
    """POST the synthetic traffic of `config` to an ingest endpoint, request by request.

    Requests go out in simulation order (held-back ones included, at once): the server's
    clock, not the simulation's, decides where they land in its lake.
    """
    started = time.perf_counter()
    client = client or IngestClient(url)
    plan = TrafficPlan(config)
    summary = GenerationSummary()
    try:
        for day in range(config.days):
            for hour in plan.shard_hours(day):
                for spec in plan.sessions_in_hour(hour):
                    traffic = simulate(spec, plan.knobs)
                    record_session(summary, traffic)
                    for delivery in traffic.deliveries:
                        send_delivery(client, summary, traffic, delivery, write_key)
    finally:
        client.disconnect()
    summary.seconds = time.perf_counter() - started
    return summary
