"""Lake objects from ingest results, in the layout the ingest API writes.

By default every simulated request becomes its own objects (one under `raw/` for its
accepted events, one under `invalid/` for its refused ones), keyed by the request's
`received_at`, exactly as the ingest API does. With `events_per_object`, lines are
gathered per hour partition and cut into objects of that many lines (what a compactor
would produce); a partition is closed once the simulation has moved past it.

Writes go through `Lake.write` (durable: fsync or S3's acknowledgement) on a few threads,
so the generator does not wait for each fsync; at most `MAX_PENDING` objects are in
flight, which bounds memory.
"""

from __future__ import annotations

import gzip
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from generator.config import GenerationSummary
from generator.randomness import derive
from shared.lake import INVALID, RAW, Area, Lake, encode_ndjson_gz, object_key

Encoder = Callable[[list], bytes]

WRITER_THREADS = 16
MAX_PENDING = 64
TOKEN_BITS = 48
COUNTER_BITS = 36
SCRAMBLE = 0x9E3779B97F4B  # odd, so multiplying by it is a bijection modulo 2**48


def gzip_lines(lines: list[bytes]) -> bytes:
    """`encode_ndjson_gz` for lines already serialised with orjson (a test proves the bytes
    are identical): buffered partitions hold compact bytes, not dicts."""
    return gzip.compress(b"".join(lines), compresslevel=6, mtime=0)


class ObjectNamer:
    """The `unique` part of object keys: random-looking like the ingest API's, yet
    deterministic and distinct by construction (a bijection of shard and counter)."""

    def __init__(self, seed: int, shard: int) -> None:
        self.offset = derive(seed, "object-names") % 2**TOKEN_BITS
        self.base = shard << COUNTER_BITS
        self.counter = 0

    def next(self) -> str:
        value = self.base | self.counter
        self.counter += 1
        return f"{(value * SCRAMBLE + self.offset) % 2**TOKEN_BITS:012x}"


@dataclass
class PartitionBuffer:
    lines: list[bytes] = field(default_factory=list)
    received: list[datetime] = field(default_factory=list)  # per line, for the key


class LakeSink:
    def __init__(
        self,
        lake: Lake,
        namer: ObjectNamer,
        summary: GenerationSummary,
        events_per_object: int | None,
    ) -> None:
        self.lake = lake
        self.namer = namer
        self.summary = summary
        self.events_per_object = events_per_object
        self.buffers: dict[tuple[str, int], PartitionBuffer] = {}
        self.pool = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="lake-writer")
        self.pending: deque[Future[int]] = deque()

    def __enter__(self) -> LakeSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if exc_info[0] is None:
                self.close_partitions_before(None)
            self.wait_for(0)
        finally:
            self.pool.shutdown(wait=True)

    def add(self, received_at: datetime, raw: list[dict[str, Any]], invalid: list[dict]) -> None:
        """The records one request produced."""
        for area, records in ((RAW, raw), (INVALID, invalid)):
            if not records:
                continue
            if self.events_per_object is None:
                self.write(area, received_at, encode_ndjson_gz, records)
            else:
                self.buffer(area, received_at, records, self.events_per_object)

    def buffer(
        self, area: Area, received_at: datetime, records: list[dict[str, Any]], size: int
    ) -> None:
        hour = int(received_at.timestamp()) // 3600
        target = self.buffers.setdefault((area, hour), PartitionBuffer())
        for record in records:
            target.lines.append(orjson.dumps(record) + b"\n")
            target.received.append(received_at)
        while len(target.lines) >= size:
            self.cut(area, target, size)

    def cut(self, area: Area, target: PartitionBuffer, count: int) -> None:
        lines, target.lines = target.lines[:count], target.lines[count:]
        first_received, target.received = target.received[0], target.received[count:]
        self.write(area, first_received, gzip_lines, lines)

    def close_partitions_before(self, boundary: datetime | None) -> None:
        """Write what is buffered for hours ending at or before `boundary` (None: all)."""
        limit = None if boundary is None else int(boundary.timestamp()) // 3600
        for key in sorted(self.buffers):
            area, hour = key
            if limit is not None and hour >= limit:
                continue
            target = self.buffers.pop(key)
            if target.lines:
                self.cut(area, target, len(target.lines))

    def write(self, area: Area, received_at: datetime, encode: Encoder, content: list) -> None:
        """Encode and write one object on a writer thread (gzip and fsync release the GIL)."""
        key = object_key(area, received_at, self.namer.next())
        self.summary.objects_written += 1
        self.wait_for(MAX_PENDING - 1)
        self.pending.append(self.pool.submit(self.encode_and_write, key, encode, content))

    def encode_and_write(self, key: str, encode: Encoder, content: list) -> int:
        data = encode(content)
        self.lake.write(key, data)
        return len(data)

    def wait_for(self, most_pending: int) -> None:
        """Block until at most `most_pending` writes are in flight; re-raise their errors."""
        while len(self.pending) > most_pending:
            self.summary.bytes_written += self.pending.popleft().result()
