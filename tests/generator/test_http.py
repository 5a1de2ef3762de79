"""`clickstream generate --url` against a real `clickstream serve`: the same events land."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from shared.ports import free_port
from tests.generator.conftest import END, generate, read_lake

CLICKSTREAM = str(Path(sys.executable).parent / "clickstream")
SERVER_FIELDS = {"received_at", "request_id", "sent_at", "ts_corrected"}
RUN = {"events": 1_500, "days": 1, "seed": 7}


def wait_until_serving(process: subprocess.Popen, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited early"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@pytest.fixture
def served_lake(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    lake, port = tmp_path / "served", free_port()
    server = subprocess.Popen(
        [CLICKSTREAM, "serve", "--lake", str(lake), "--port", str(port)],
        env={k: v for k, v in os.environ.items() if not k.startswith("INGEST_")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}/v1/events", lake
    finally:
        server.terminate()
        server.wait(timeout=30)


def without_sent_at(payload: object) -> object:
    if isinstance(payload, dict):
        return {key: value for key, value in payload.items() if key != "sent_at"}
    return payload


def seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_sending_to_the_ingest_api_lands_the_events_the_lake_writer_writes(
    served_lake: tuple[str, Path], tmp_path: Path
) -> None:
    url, served = served_lake
    sent = subprocess.run(
        [CLICKSTREAM, "generate", "--url", url, "--end", END.isoformat()]
        + [f"--{name}={value}" for name, value in RUN.items()],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    summary = json.loads(sent.stdout)
    written = generate(tmp_path / "written", **RUN)

    over_http, direct = read_lake(served), read_lake(tmp_path / "written")
    assert (summary["http_refused"], summary["http_retries"]) == (0, 0)
    assert summary["valid_lines"] == len(over_http.events) == len(direct.events)
    assert summary["invalid_lines"] == len(over_http.rejections) == len(direct.rejections)
    assert summary["events_by_type"] == dict(sorted(written.events_by_type.items()))

    copies = Counter(event["event_id"] for event in over_http.events)
    assert copies == Counter(event["event_id"] for event in direct.events)  # same duplicates
    served_events, written_events = over_http.first_copies(), direct.first_copies()
    for event_id, event in written_events.items():
        received = served_events[event_id]
        assert {k: v for k, v in received.items() if k not in SERVER_FIELDS} == {
            k: v for k, v in event.items() if k not in SERVER_FIELDS
        }
        # The server corrects the device clock with `sent_at`: back to the simulated time.
        assert abs(seconds(received["ts_corrected"]) - seconds(event["ts_corrected"])) < 10

    def refused(lake) -> Counter:
        """Reason and payload of each refusal (`sent_at` is the sender's clock)."""
        return Counter(
            (record["reason"], json.dumps(without_sent_at(record.get("payload")), sort_keys=True))
            for record in lake.rejections
        )

    assert refused(over_http) == refused(direct)
