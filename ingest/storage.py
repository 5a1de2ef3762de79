"""Durable writes: the lake first, the SQS dead-letter queue when the lake refuses.

`DurableStore.put` returns only once the object is durable somewhere the loader (or a
`clickstream dlq replay`) will find it, and raises `StorageUnavailableError` otherwise:
the caller must then answer 5xx so the client keeps the events and retries.

`GroupCommitWriter` lets concurrent requests share one lake write (group commit): a
durable write costs a few milliseconds of fsync whatever its size, so the objects that
arrive while one write is in flight go out together in the next, as one object.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Literal, Protocol

from ingest.dlq import DeadLetterError, SqsDeadLetterQueue
from shared.lake import Lake, LakeError, open_lake
from shared.logs import get_logger

logger = get_logger("ingest")

Destination = Literal["lake", "dlq"]


class StorageUnavailableError(RuntimeError):
    """Neither the lake nor the dead-letter queue took the object."""


class Writer(Protocol):
    def write(self, key: str, data: bytes) -> None: ...


@dataclass
class PendingWrite:
    key: str
    data: bytes
    finished: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # this caller writes the next group (its own object included)
    error: Exception | None = None


class GroupCommitWriter:
    """`write(key, data)` for many threads at once, durable when it returns, as `lake.write`.

    The first caller writes; whoever arrives meanwhile waits, and the writer's successor
    (the oldest waiter) then writes everything that waited, one object per lake folder:
    the gzip members one after the other (a valid gzip stream, which the loader reads
    whole) under the oldest key. No timer: a lone request is written at once, and under
    load a group is what arrived during one write. Handing the next group to a waiter keeps
    every caller's wait to at most two writes. A failed write raises in each of its callers,
    so each can fall back (the dead-letter queue) with its own key and data.
    """

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self._lock = threading.Lock()
        self._waiting: list[PendingWrite] = []
        self._writing = False

    def write(self, key: str, data: bytes) -> None:
        pending = PendingWrite(key, data)
        with self._lock:
            self._waiting.append(pending)
            if not self._writing:
                self._writing = pending.leads = True
        if not pending.leads:
            pending.finished.wait()  # written by another caller, or handed the next group
        if pending.leads:
            self._write_waiting()
        if pending.error is not None:
            raise pending.error

    def _write_waiting(self) -> None:
        with self._lock:
            group, self._waiting = self._waiting, []
        try:
            for folder in same_folder_runs(group):
                self._write_folder(folder)
        finally:
            with self._lock:
                successor = self._waiting[0] if self._waiting else None
                if successor is None:
                    self._writing = False
                else:
                    successor.leads = True
            for pending in group:
                pending.leads = False
                pending.finished.set()
            if successor is not None:
                successor.finished.set()

    def _write_folder(self, folder: list[PendingWrite]) -> None:
        try:
            self.lake.write(folder[0].key, b"".join(pending.data for pending in folder))
        except Exception as exc:  # every caller sees it; LakeError sends each to the DLQ
            for pending in folder:
                pending.error = exc


def same_folder_runs(group: list[PendingWrite]) -> Iterator[list[PendingWrite]]:
    """The writes per lake folder (area and hour), each in key order: time order."""
    ordered = sorted(group, key=lambda pending: pending.key)
    for _, run in groupby(ordered, key=lambda pending: pending.key.rpartition("/")[0]):
        yield list(run)


class DurableStore:
    def __init__(self, lake: Writer, dlq: SqsDeadLetterQueue | None = None) -> None:
        self.lake = lake
        self.dlq = dlq

    def put(self, key: str, data: bytes, request_id: str) -> Destination:
        try:
            self.lake.write(key, data)
        except LakeError as lake_error:
            return self._put_in_dlq(key, data, request_id, lake_error)
        return "lake"

    def _put_in_dlq(
        self, key: str, data: bytes, request_id: str, lake_error: LakeError
    ) -> Destination:
        if self.dlq is None:
            raise StorageUnavailableError(
                f"{lake_error}; no dead-letter queue is configured (set INGEST_DLQ_URL)"
            ) from lake_error
        try:
            messages = self.dlq.send(key, data, request_id)
        except DeadLetterError as dlq_error:
            raise StorageUnavailableError(f"{lake_error}; {dlq_error}") from dlq_error
        logger.warning(
            "lake write failed; object parked in the dead-letter queue",
            extra={
                "request_id": request_id,
                "key": key,
                "dlq_messages": messages,
                "lake_error": str(lake_error),
            },
        )
        return "dlq"


def open_ingest_lake(url: str) -> Lake:
    """The lake, with an S3 client that fails over to the DLQ in seconds, not minutes."""
    if url.startswith("s3://"):
        return open_lake(url, s3_client=s3_client())
    return open_lake(url)


def s3_client() -> Any:
    import boto3  # lazy: the local directory lake never loads botocore
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2})
    return boto3.client("s3", config=config)


def open_dead_letter_queue(url: str | None, max_message_bytes: int) -> SqsDeadLetterQueue | None:
    return SqsDeadLetterQueue(url, max_message_bytes) if url else None
