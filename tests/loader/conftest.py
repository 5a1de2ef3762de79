"""Helpers to build lakes of real gzip files and to count what the loader did, independently."""

from __future__ import annotations

import gzip
import json
import uuid
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.lake import object_key
from tests.conftest import Warehouse

HOUR = datetime(2026, 11, 20, 10, tzinfo=UTC)


def event_line(number: int, **extra: object) -> bytes:
    """A lake-shaped JSON line; the loader does not check the contract, only the JSON."""
    record = {
        "event_id": str(uuid.UUID(int=number)),
        "ts": "2026-11-20T10:00:00.000000Z",
        "event_type": "view",
        "session_id": f"s-{number // 10}",
        "anonymous_id": f"a-{number // 50}",
        "page_url": f"https://shop.example/p/{number}",
        "received_at": "2026-11-20T10:00:01.000000Z",
        "request_id": f"r-{number}",
        "ua": {"device_type": "desktop", "is_bot": False},
        "schema_version": "1-0-0",
        **extra,
    }
    return json.dumps(record, ensure_ascii=False).encode()


def write_object(
    lake: Path, lines: Iterable[bytes], *, area: str = "raw", at: datetime = HOUR,
    unique: str | None = None, compress: bool = True,
) -> str:  # fmt: skip
    key = object_key(area, at, unique or uuid.uuid4().hex[:12])
    body = b"".join(line + b"\n" for line in lines)
    path = lake / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(body) if compress else body)
    return key


def write_numbered_objects(
    lake: Path, objects: int, lines_per_object: int, start_hour: datetime = HOUR
) -> int:
    """`objects` gzip objects spread over hours; returns the number of lines written."""
    number = 0
    for index in range(objects):
        lines = []
        for _ in range(lines_per_object):
            lines.append(event_line(number))
            number += 1
        write_object(lake, lines, at=start_hour + timedelta(hours=index % 5), unique=f"{index:06d}")
    return number


def count_lake_lines(lake: Path) -> int:
    """Lines in every readable object, counted without the loader's code."""
    total = 0
    for path in lake.rglob("*.ndjson*"):
        data = path.read_bytes()
        try:
            text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        except (EOFError, OSError, zlib.error):
            continue  # unreadable objects are accounted for in raw.load_failures
        if text:
            total += text.count(b"\n") + (0 if text.endswith(b"\n") else 1)
    return total


def landed(warehouse: Warehouse) -> tuple[int, int]:
    """(rows in raw.events, rows in raw.events_rejected)."""
    return (
        warehouse.scalar("select count(*) from raw.events"),
        warehouse.scalar("select count(*) from raw.events_rejected"),
    )


def assert_every_line_accounted_for(warehouse: Warehouse, lake: Path) -> None:
    events, rejected = landed(warehouse)
    assert events + rejected == count_lake_lines(lake)
    duplicates = warehouse.scalar(
        "select count(*) from (select payload->>'event_id' from raw.events"
        " group by 1 having count(*) > 1) as d"
    )
    assert duplicates == 0


@pytest.fixture
def lake_dir(tmp_path: Path) -> Path:
    path = tmp_path / "lake"
    path.mkdir()
    return path
