"""One loader run (SPEC §5): land every lake object not yet in the manifest, exactly once.

The run holds a Postgres advisory lock, so a second run started meanwhile is a no-op.
Objects are loaded oldest partition first, in batches; each batch is one transaction on
one of `LOADER_WORKERS` connections holding the batch's `raw.events` rows (binary COPY,
which passes JSON through byte for byte), its `raw.events_rejected` rows and its
`raw.load_manifest` rows. A crash rolls the batch back whole; the next run loads it.
An object that cannot be decoded (corrupt or truncated gzip) is recorded in
`raw.load_failures`, left out of its batch and retried on every later run.
"""

from __future__ import annotations

import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from loader.lines import (
    Rejection,
    classify_event_line,
    classify_invalid_line,
    iter_lines,
)
from shared.contract import RejectReason
from shared.db import connect
from shared.lake import (
    INVALID,
    RAW,
    CorruptObjectError,
    Lake,
    LakeError,
    LakeObject,
    partition_hour,
)
from shared.logs import get_logger
from shared.settings import env_int

logger = get_logger("loader")

ADVISORY_LOCK_KEY = 0x636C6B6C6F6164  # "clkload"
APPLICATION_NAME = "clickstream-loader"  # how an operator spots the loader in pg_stat_activity
# invalid/ lines carry a whole refused request body (≤ 1 MB, base64): parse up to this size.
INVALID_LINE_MAX_BYTES = 4 << 20
COPY_CHUNK_BYTES = 1 << 20

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)
COPY_EVENTS = "copy raw.events (object_key, line_no, load_id, payload) from stdin (format binary)"
COPY_REJECTED = (
    "copy raw.events_rejected (object_key, line_no, load_id, stage, reason, detail,"
    " received_at, event_id, raw_line, raw_bytes) from stdin (format binary)"
)
REJECTED_TYPES = (
    "text",
    "int4",
    "uuid",
    "text",
    "text",
    "text",
    "timestamptz",
    "text",
    "bytea",
    "int4",
)


@dataclass(frozen=True)
class LoaderSettings:
    workers: int = 2
    batch_max_bytes: int = 16 << 20
    batch_max_objects: int = 500
    max_line_bytes: int = 64 << 10

    @classmethod
    def from_env(cls) -> LoaderSettings:
        return cls(
            workers=env_int("LOADER_WORKERS", cls.workers, minimum=1),
            batch_max_bytes=env_int("LOADER_BATCH_MAX_BYTES", cls.batch_max_bytes, minimum=1),
            batch_max_objects=env_int("LOADER_BATCH_MAX_OBJECTS", cls.batch_max_objects, minimum=1),
            max_line_bytes=env_int("LOADER_MAX_LINE_BYTES", cls.max_line_bytes, minimum=1024),
        )


@dataclass
class LoadSummary:
    load_id: str
    status: str = "running"  # succeeded | skipped (another run holds the lock) | failed
    objects_loaded: int = 0
    objects_failed: int = 0
    objects_empty: int = 0  # loaded with no lines at all: a producer wrote nothing
    objects_pending: int = 0  # left for the next run because the deadline came
    lines: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    bytes_loaded: int = 0
    seconds: float = 0.0
    lag_seconds: float | None = None  # how long the oldest object landed now had waited
    failures: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ObjectLoad:
    """What one object contributed to its batch's transaction."""

    source: LakeObject
    lines: int
    rows_loaded: int
    rejections: list[Rejection]


class UnreadableObjectError(Exception):
    def __init__(self, source: LakeObject, reason: str) -> None:
        super().__init__(f"{source.key}: {reason}")
        self.source = source
        self.reason = reason


def run_load(
    lake: Lake,
    database_url: str,
    settings: LoaderSettings | None = None,
    *,
    deadline: float | None = None,
) -> LoadSummary:
    """Land what is new in the lake; `deadline` (time.monotonic) stops starting new batches."""
    settings = settings or LoaderSettings.from_env()
    summary = LoadSummary(load_id=str(uuid.uuid4()))
    started = time.monotonic()
    with connect(database_url, autocommit=True, application_name=APPLICATION_NAME) as coordinator:
        if not coordinator.execute(
            "select pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)
        ).fetchone()[0]:
            summary.status = "skipped"
            logger.info("another loader run holds the lock; nothing to do", extra=summary.as_dict())
            return summary
        record_run_start(coordinator, summary)
        try:
            pending = pending_objects(lake, loaded_keys(coordinator))
            batches = plan_batches(pending, settings)
            load_batches(lake, database_url, batches, summary, settings, deadline)
        except BaseException as error:
            summary.status = "failed"
            summary.seconds = round(time.monotonic() - started, 3)
            with suppress(psycopg.Error):  # the database may be what failed
                record_run_end(coordinator, summary, error=str(error))
            logger.exception("loader run failed", extra=summary.as_dict())
            raise
        summary.status = "succeeded"
        summary.seconds = round(time.monotonic() - started, 3)
        record_run_end(coordinator, summary)
        coordinator.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    logger.info("loader run finished", extra=summary.as_dict())
    return summary


def loaded_keys(conn: psycopg.Connection) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("select object_key from raw.load_manifest")
        return {key for (key,) in cur}


def pending_objects(lake: Lake, loaded: set[str]) -> list[LakeObject]:
    """Objects under raw/ and invalid/ not in the manifest, oldest partition first."""
    found = [
        item for area in (RAW, INVALID) for item in lake.list(f"{area}/") if item.key not in loaded
    ]
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(found, key=lambda item: (partition_hour(item.key) or far_future, item.key))


def plan_batches(objects: Sequence[LakeObject], settings: LoaderSettings) -> list[list[LakeObject]]:
    """Consecutive objects grouped up to the batch limits (one object may exceed them alone)."""
    batches: list[list[LakeObject]] = []
    current: list[LakeObject] = []
    current_bytes = 0
    for item in objects:
        too_big = current_bytes + item.size > settings.batch_max_bytes
        if current and (too_big or len(current) >= settings.batch_max_objects):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(item)
        current_bytes += item.size
    if current:
        batches.append(current)
    return batches


def load_batches(
    lake: Lake,
    database_url: str,
    batches: list[list[LakeObject]],
    summary: LoadSummary,
    settings: LoaderSettings,
    deadline: float | None,
) -> None:
    """Run the batches on parallel connections; the first error stops the others' next batch."""
    queue = deque(batches)
    guard = threading.Lock()
    errors: list[BaseException] = []

    def next_batch() -> list[LakeObject] | None:
        with guard:
            if errors or not queue:
                return None
            if deadline is not None and time.monotonic() >= deadline:
                summary.objects_pending = sum(len(batch) for batch in queue)
                queue.clear()
                return None
            return queue.popleft()

    def work() -> None:
        try:
            with connect(database_url, application_name=APPLICATION_NAME) as conn:
                while (batch := next_batch()) is not None:
                    loads, failures = load_batch(conn, lake, batch, summary.load_id, settings)
                    with guard:
                        add_to_summary(summary, loads, failures)
        except BaseException as error:  # reported by the coordinator, never swallowed
            with guard:
                errors.append(error)

    threads = [
        threading.Thread(target=work, name=f"loader-{number}")
        for number in range(min(settings.workers, len(batches)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def add_to_summary(
    summary: LoadSummary, loads: list[ObjectLoad], failures: list[UnreadableObjectError]
) -> None:
    now = datetime.now(UTC)
    for load in loads:
        summary.objects_loaded += 1
        summary.objects_empty += load.lines == 0
        summary.lines += load.lines
        summary.rows_loaded += load.rows_loaded
        summary.rows_rejected += len(load.rejections)
        summary.bytes_loaded += load.source.size
        waited = (now - load.source.last_modified).total_seconds()
        summary.lag_seconds = round(max(summary.lag_seconds or 0.0, waited), 3)
    for failure in failures:
        summary.objects_failed += 1
        summary.failures.append({"object_key": failure.source.key, "reason": failure.reason})


def load_batch(
    conn: psycopg.Connection,
    lake: Lake,
    batch: list[LakeObject],
    load_id: str,
    settings: LoaderSettings,
) -> tuple[list[ObjectLoad], list[UnreadableObjectError]]:
    """Commit the batch's readable objects in one transaction; record the unreadable ones."""
    failures: list[UnreadableObjectError] = []
    contents: dict[str, bytes] = {}
    for item in batch:
        try:
            contents[item.key] = lake.read(item.key)
        except LakeError as exc:
            failures.append(UnreadableObjectError(item, str(exc)))
    readable = [item for item in batch if item.key in contents]
    refused: dict[str, dict[int, str]] = {}
    loads: list[ObjectLoad] = []
    while readable:
        try:
            loads = commit_objects(conn, readable, contents, load_id, settings, refused)
            break
        except UnreadableObjectError as failure:
            failures.append(failure)
            readable = [item for item in readable if item.key != failure.source.key]
            continue
        except psycopg.DataError:
            # Postgres refused a line our checks passed (e.g. a number beyond numeric's range):
            # find those lines, reject them with Postgres' reason, and load the batch again.
            before = sum(len(lines) for lines in refused.values())
            find_refused_lines(conn, readable, contents, settings, refused)
            if sum(len(lines) for lines in refused.values()) == before:
                raise
    for failure in failures:
        record_failure(conn, failure, load_id)
    return loads, failures


def commit_objects(
    conn: psycopg.Connection,
    objects: list[LakeObject],
    contents: dict[str, bytes],
    load_id: str,
    settings: LoaderSettings,
    refused: dict[str, dict[int, str]],
) -> list[ObjectLoad]:
    load_uuid = uuid.UUID(load_id)
    loads: list[ObjectLoad] = []
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy(COPY_EVENTS) as copy:
            copy.write(COPY_HEADER)
            for item in objects:
                try:
                    load = copy_object(
                        copy,
                        item,
                        contents[item.key],
                        load_uuid,
                        settings,
                        refused.get(item.key, {}),
                    )
                except CorruptObjectError as exc:
                    raise UnreadableObjectError(item, str(exc)) from exc
                loads.append(load)
            copy.write(COPY_TRAILER)
        if any(load.rejections for load in loads):
            write_rejections(cur, loads, load_uuid)
        cur.executemany(
            "insert into raw.load_manifest (object_key, etag, bytes, lines, rows_loaded,"
            " rows_rejected, load_id, object_last_modified)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    load.source.key,
                    load.source.etag,
                    load.source.size,
                    load.lines,
                    load.rows_loaded,
                    len(load.rejections),
                    load_uuid,
                    load.source.last_modified,
                )
                for load in loads
            ],
        )
        cur.execute(
            "delete from raw.load_failures where object_key = any(%s)",
            ([load.source.key for load in loads],),
        )
    return loads


def copy_object(
    copy: psycopg.Copy,
    source: LakeObject,
    data: bytes,
    load_id: uuid.UUID,
    settings: LoaderSettings,
    refused: dict[int, str],
) -> ObjectLoad:
    """Stream one object's lines into the open COPY; return its counts and rejections."""
    key_field = encoded_field(source.key.encode())
    id_field = encoded_field(load_id.bytes)
    is_invalid_area = source.key.startswith(f"{INVALID}/")
    max_bytes = INVALID_LINE_MAX_BYTES if is_invalid_area else settings.max_line_bytes
    rejections: list[Rejection] = []
    buffer: list[bytes] = []
    buffered = lines = rows = 0
    for line in iter_lines(data, max_bytes):
        lines += 1
        if is_invalid_area:
            rejections.append(classify_invalid_line(line))
            continue
        outcome = classify_event_line(line, settings.max_line_bytes)
        if isinstance(outcome, Rejection):
            rejections.append(outcome)
            continue
        if line.line_no in refused:
            rejections.append(postgres_rejection(line.line_no, outcome, refused[line.line_no]))
            continue
        # One binary COPY tuple: 4 fields; jsonb's binary form is a version byte, then the text.
        row = b"".join(
            (
                b"\x00\x04",
                key_field,
                struct.pack("!ii", 4, line.line_no),
                id_field,
                struct.pack("!ib", len(outcome) + 1, 1),
                outcome,
            )
        )
        buffer.append(row)
        buffered += len(row)
        rows += 1
        if buffered >= COPY_CHUNK_BYTES:
            copy.write(b"".join(buffer))
            buffer, buffered = [], 0
    if buffer:
        copy.write(b"".join(buffer))
    return ObjectLoad(source, lines, rows, rejections)


def encoded_field(value: bytes) -> bytes:
    return struct.pack("!i", len(value)) + value


def postgres_rejection(line_no: int, text: bytes, message: str) -> Rejection:
    return Rejection(
        line_no=line_no,
        stage="loader",
        reason=RejectReason.INVALID_JSON.value,
        detail=f"Postgres refused the JSON: {message}"[:2048],
        raw=text,
        raw_bytes=len(text),
    )


def find_refused_lines(
    conn: psycopg.Connection,
    objects: list[LakeObject],
    contents: dict[str, bytes],
    settings: LoaderSettings,
    refused: dict[str, dict[int, str]],
) -> None:
    """Ask Postgres, line by line (each in a savepoint), which lines it cannot store as jsonb."""
    with conn.transaction():
        for item in objects:
            if item.key.startswith(f"{INVALID}/"):
                continue
            for line in iter_lines(contents[item.key], settings.max_line_bytes):
                text = classify_event_line(line, settings.max_line_bytes)
                if isinstance(text, Rejection) or line.line_no in refused.get(item.key, {}):
                    continue
                try:
                    with conn.transaction():
                        conn.execute("select %s::jsonb", (text.decode(),))
                except psycopg.DataError as exc:
                    refused.setdefault(item.key, {})[line.line_no] = str(exc).splitlines()[0]


def write_rejections(cur: psycopg.Cursor, loads: Iterable[ObjectLoad], load_id: uuid.UUID) -> None:
    with cur.copy(COPY_REJECTED) as copy:
        copy.set_types(REJECTED_TYPES)
        for load in loads:
            for rejection in load.rejections:
                copy.write_row(
                    (
                        load.source.key,
                        rejection.line_no,
                        load_id,
                        rejection.stage,
                        rejection.reason,
                        rejection.detail,
                        parse_time(rejection.received_at),
                        rejection.event_id,
                        rejection.raw,
                        rejection.raw_bytes,
                    )
                )


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_failure(conn: psycopg.Connection, failure: UnreadableObjectError, load_id: str) -> None:
    logger.warning(
        "object could not be loaded; it will be retried next run",
        extra={"object_key": failure.source.key, "reason": failure.reason},
    )
    with conn.transaction():
        conn.execute(
            "insert into raw.load_failures (object_key, etag, reason, last_load_id)"
            " values (%s, %s, %s, %s)"
            " on conflict (object_key) do update set etag = excluded.etag,"
            " reason = excluded.reason, attempts = raw.load_failures.attempts + 1,"
            " last_failed_at = now(), last_load_id = excluded.last_load_id",
            (failure.source.key, failure.source.etag, failure.reason[:2048], load_id),
        )


def record_run_start(conn: psycopg.Connection, summary: LoadSummary) -> None:
    conn.execute(
        "insert into raw.load_runs (load_id, started_at, status) values (%s, now(), 'running')",
        (summary.load_id,),
    )


def record_run_end(
    conn: psycopg.Connection, summary: LoadSummary, error: str | None = None
) -> None:
    columns = (
        "status",
        "objects_loaded",
        "objects_failed",
        "rows_loaded",
        "rows_rejected",
        "bytes_loaded",
        "seconds",
        "lag_seconds",
    )
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name)) for name in columns
    )
    conn.execute(
        sql.SQL(
            "update raw.load_runs set {}, finished_at = now(), error = %(error)s"
            " where load_id = %(load_id)s"
        ).format(assignments),
        {
            **{name: getattr(summary, name) for name in columns},
            "error": error,
            "load_id": summary.load_id,
        },
    )
