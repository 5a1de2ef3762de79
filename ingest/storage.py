"""Durable writes: the lake first, the SQS dead-letter queue when the lake refuses.

`DurableStore.put` returns only once the object is durable somewhere the loader (or a
`clickstream dlq replay`) will find it, and raises `StorageUnavailableError` otherwise:
the caller must then answer 5xx so the client keeps the events and retries.
"""

from __future__ import annotations

from typing import Any, Literal

from ingest.dlq import DeadLetterError, SqsDeadLetterQueue
from shared.lake import Lake, LakeError, open_lake
from shared.logs import get_logger

logger = get_logger("ingest")

Destination = Literal["lake", "dlq"]


class StorageUnavailableError(RuntimeError):
    """Neither the lake nor the dead-letter queue took the object."""


class DurableStore:
    def __init__(self, lake: Lake, dlq: SqsDeadLetterQueue | None = None) -> None:
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
