"""Lines of a lake object: streamed out of gzip, then classified as loadable or rejected.

Pure functions, no database. Decompression is incremental with a bounded output size per
step, so a gzip bomb or a gigabyte-long line costs bounded memory: only the first
`max_bytes` of an oversized line are kept (to be stored with its rejection).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from shared.contract import RejectReason
from shared.enrichment import find_encoding_problem
from shared.lake import GZIP_MAGIC, CorruptObjectError

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class RawLine:
    line_no: int  # 1-based
    data: bytes  # the whole line, or its first `max_bytes` when `size` is larger
    size: int  # the line's full length in bytes

    @property
    def is_truncated(self) -> bool:
        return self.size > len(self.data)


@dataclass(frozen=True)
class Rejection:
    line_no: int
    stage: str  # "ingest" for lines under invalid/, "loader" otherwise
    reason: str
    detail: str
    raw: bytes
    raw_bytes: int
    event_id: str | None = None
    received_at: str | None = None


def decoded_chunks(data: bytes) -> Iterator[bytes]:
    """The object's text in chunks; gzip (also multi-member) is detected by its magic bytes."""
    if not data.startswith(GZIP_MAGIC):
        for start in range(0, len(data), CHUNK_BYTES):
            yield data[start : start + CHUNK_BYTES]
        return
    remaining = data
    while remaining:
        decompressor = zlib.decompressobj(wbits=31)
        pending = remaining
        try:
            while pending and not decompressor.eof:
                yield decompressor.decompress(pending, CHUNK_BYTES)
                pending = decompressor.unconsumed_tail
            while not decompressor.eof and (tail := decompressor.decompress(b"", CHUNK_BYTES)):
                yield tail
        except zlib.error as exc:
            raise CorruptObjectError(f"gzip stream is corrupt: {exc}") from exc
        if not decompressor.eof:
            raise CorruptObjectError("gzip stream is truncated: it ends before its end marker")
        remaining = decompressor.unused_data


def iter_lines(data: bytes, max_bytes: int) -> Iterator[RawLine]:
    """Newline-separated lines; a final line without a newline counts, a final empty one not."""
    line_no = 0
    buffered: list[bytes] = []
    buffered_size = 0
    size = 0
    for chunk in decoded_chunks(data):
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            size += len(piece)
            if buffered_size < max_bytes:
                kept = piece[: max_bytes - buffered_size]
                buffered.append(kept)
                buffered_size += len(kept)
            if end < 0:
                break
            line_no += 1
            yield RawLine(line_no, b"".join(buffered), size)
            buffered, buffered_size, size = [], 0, 0
            start = end + 1
    if size:
        yield RawLine(line_no + 1, b"".join(buffered), size)


def classify_event_line(line: RawLine, max_bytes: int) -> bytes | Rejection:
    """The JSON text to land in raw.events, or why the line cannot be landed."""
    if line.size > max_bytes:
        return loader_rejection(
            line, RejectReason.TOO_LARGE, f"line is {line.size} bytes, over the {max_bytes} limit"
        )
    text = line.data.rstrip(b"\r")
    if not text.strip():
        return loader_rejection(line, RejectReason.EMPTY_LINE, "blank line")
    if b"\x00" in text:
        return loader_rejection(line, RejectReason.ENCODING, "contains a NUL byte")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return loader_rejection(line, *json_failure(text, exc))
    if not isinstance(value, dict):
        return loader_rejection(
            line, RejectReason.NOT_OBJECT, f"expected a JSON object, got {type(value).__name__}"
        )
    # Postgres refuses \u0000 in jsonb; only look inside when the escape is present at all.
    if b"\\u0000" in text and (problem := find_encoding_problem(value)):
        return loader_rejection(line, RejectReason.ENCODING, problem, value)
    return text


def classify_invalid_line(line: RawLine) -> Rejection:
    """A line under invalid/: the ingest API's own rejection record, kept with its reason."""
    text = line.data.rstrip(b"\r")
    record: Any = None
    if not line.is_truncated:
        try:
            record = orjson.loads(text)
        except orjson.JSONDecodeError:
            record = None
    if not (isinstance(record, dict) and isinstance(record.get("reason"), str)):
        detail = "line under invalid/ is not an ingest rejection record (JSON with a reason)"
        return loader_rejection(line, RejectReason.INVALID_RECORD, detail)
    payload = record.get("payload")
    event_id = payload.get("event_id") if isinstance(payload, dict) else None
    received_at = record.get("received_at")
    return Rejection(
        line_no=line.line_no,
        stage="ingest",
        reason=record["reason"][:64],
        detail=str(record.get("detail") or "")[:2048],
        raw=line.data,
        raw_bytes=line.size,
        event_id=event_id if isinstance(event_id, str) else None,
        received_at=received_at if isinstance(received_at, str) else None,
    )


def loader_rejection(
    line: RawLine, reason: RejectReason, detail: str, value: Any = None
) -> Rejection:
    event_id = value.get("event_id") if isinstance(value, dict) else None
    return Rejection(
        line_no=line.line_no,
        stage="loader",
        reason=reason.value,
        detail=detail,
        raw=line.data,
        raw_bytes=line.size,
        event_id=event_id if isinstance(event_id, str) else None,
    )


def json_failure(text: bytes, error: orjson.JSONDecodeError) -> tuple[RejectReason, str]:
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RejectReason.ENCODING, f"invalid UTF-8 at byte {exc.start}"
    if "surrogate" in str(error):
        return RejectReason.ENCODING, f"lone UTF-16 surrogate escape: {error}"
    return RejectReason.INVALID_JSON, f"not valid JSON: {error}"
