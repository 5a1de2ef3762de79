"""The dead-letter queue: lake objects parked in SQS while the lake refuses writes.

When a lake write fails, the ingest API sends the very object it meant to write (its key
and its gzipped NDJSON bytes) to SQS, split over as many messages as the queue's message
size limit needs, and only then acknowledges the request. `replay` moves the objects back
into the lake under their original keys and deletes a message only after its object is
durably written, so a crash mid-replay repeats work (same key, same bytes) and loses none.

Message body (JSON): `type`, `version`, `key`, `part` (1-based), `parts`, `sha256` and
`bytes` of the whole object, `request_id`, and this part's bytes as base64 `data`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from shared.lake import CorruptObjectError, Lake, LakeError, decode_object

MESSAGE_TYPE = "clickstream.lake-object"
MESSAGE_VERSION = 1
# Room left for the envelope around the base64 data (the key is ~90 characters).
ENVELOPE_BYTES = 1024
OBJECT_KEY = re.compile(
    r"(raw|invalid)/year=\d{4}/month=\d{2}/day=\d{2}/hour=\d{2}/[A-Za-z0-9._-]+\.ndjson\.gz"
)
SQS_BATCH_LIMIT = 10
# Replayed messages stay hidden this long, enough to gather every part of an object.
REPLAY_VISIBILITY_SECONDS = 300


class DeadLetterError(RuntimeError):
    """The dead-letter queue refused a message; the message says which queue and why."""


class MalformedMessageError(ValueError):
    """A queue message is not a lake object part written by the ingest API."""


@dataclass(frozen=True)
class ObjectPart:
    key: str
    part: int
    parts: int
    sha256: str
    data: bytes


def encode_messages(key: str, data: bytes, request_id: str, max_message_bytes: int) -> list[str]:
    """The message bodies that carry one lake object, each within `max_message_bytes`."""
    chunk_bytes = (max_message_bytes - ENVELOPE_BYTES) // 4 * 3
    chunks = [data[start : start + chunk_bytes] for start in range(0, len(data), chunk_bytes)]
    digest = hashlib.sha256(data).hexdigest()
    return [
        json.dumps(
            {
                "type": MESSAGE_TYPE,
                "version": MESSAGE_VERSION,
                "key": key,
                "part": number,
                "parts": len(chunks),
                "sha256": digest,
                "bytes": len(data),
                "request_id": request_id,
                "data": base64.b64encode(chunk).decode("ascii"),
            },
            separators=(",", ":"),
        )
        for number, chunk in enumerate(chunks, start=1)
    ]


def decode_message(body: str) -> ObjectPart:
    try:
        envelope = json.loads(body)
        if envelope.get("type") != MESSAGE_TYPE or envelope.get("version") != MESSAGE_VERSION:
            raise MalformedMessageError(f"not a {MESSAGE_TYPE} v{MESSAGE_VERSION} message")
        part = ObjectPart(
            key=str(envelope["key"]),
            part=int(envelope["part"]),
            parts=int(envelope["parts"]),
            sha256=str(envelope["sha256"]),
            data=base64.b64decode(envelope["data"], validate=True),
        )
    except MalformedMessageError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise MalformedMessageError(f"unreadable message body: {exc}") from exc
    if not OBJECT_KEY.fullmatch(part.key):
        raise MalformedMessageError(f"key {part.key!r} is not a raw/ or invalid/ lake key")
    if not 1 <= part.part <= part.parts:
        raise MalformedMessageError(f"part {part.part} of {part.parts} is out of range")
    return part


class SqsDeadLetterQueue:
    """An SQS queue (boto3 follows AWS_ENDPOINT_URL_SQS, so moto can stand in)."""

    def __init__(self, queue_url: str, max_message_bytes: int, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self.max_message_bytes = max_message_bytes
        self.client = client or sqs_client()

    def send(self, key: str, data: bytes, request_id: str) -> int:
        """Send every part of the object; returns the number of messages."""
        messages = encode_messages(key, data, request_id, self.max_message_bytes)
        for body in messages:
            try:
                self.client.send_message(QueueUrl=self.queue_url, MessageBody=body)
            except Exception as exc:
                raise DeadLetterError(f"cannot send to {self.queue_url}: {exc}") from exc
        return len(messages)

    def receive(self, wait_seconds: int) -> list[dict[str, Any]]:
        try:
            response = self.client.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=SQS_BATCH_LIMIT,
                WaitTimeSeconds=wait_seconds,
                VisibilityTimeout=REPLAY_VISIBILITY_SECONDS,
            )
        except Exception as exc:
            raise DeadLetterError(f"cannot receive from {self.queue_url}: {exc}") from exc
        return response.get("Messages", [])

    def delete(self, receipt_handles: list[str]) -> int:
        """Delete messages; returns how many SQS refused to delete (they will come back)."""
        refused = 0
        for start in range(0, len(receipt_handles), SQS_BATCH_LIMIT):
            entries = [
                {"Id": str(number), "ReceiptHandle": handle}
                for number, handle in enumerate(receipt_handles[start : start + SQS_BATCH_LIMIT])
            ]
            try:
                response = self.client.delete_message_batch(
                    QueueUrl=self.queue_url, Entries=entries
                )
            except Exception as exc:
                refusal = f"SQS refused DeleteMessageBatch on {self.queue_url}: {exc}"
                raise DeadLetterError(refusal) from exc
            refused += len(response.get("Failed", []))
        return refused


def sqs_client() -> Any:
    import boto3  # lazy: the local server without a DLQ never loads botocore
    from botocore.config import Config

    # Fail over fast: the API must answer (202 or 503) well within API Gateway's 30 s.
    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2})
    return boto3.client("sqs", config=config)


@dataclass
class PendingObject:
    parts: dict[int, ObjectPart] = field(default_factory=dict)
    receipts: list[str] = field(default_factory=list)


@dataclass
class ReplaySummary:
    objects_written: int = 0
    messages_deleted: int = 0
    messages_not_deleted: int = 0
    malformed_messages: int = 0
    incomplete_keys: list[str] = field(default_factory=list)
    corrupt_keys: list[str] = field(default_factory=list)
    lake_error: str | None = None

    @property
    def complete(self) -> bool:
        return not (
            self.lake_error
            or self.incomplete_keys
            or self.corrupt_keys
            or self.malformed_messages
            or self.messages_not_deleted
        )


def replay(
    queue: SqsDeadLetterQueue,
    lake: Lake,
    *,
    max_messages: int | None = None,
    wait_seconds: int = 1,
) -> ReplaySummary:
    """Write every complete object from the queue to the lake, then delete its messages.

    Stops at the first lake write failure: its messages reappear after the visibility
    timeout, so a later replay picks them up. Malformed messages and objects whose parts
    are missing or do not add up are left in the queue and named in the summary.
    """
    summary = ReplaySummary()
    pending: dict[str, PendingObject] = {}
    for message in receive_all(queue, max_messages, wait_seconds):
        try:
            part = decode_message(message["Body"])
        except MalformedMessageError:
            summary.malformed_messages += 1
            continue
        group = pending.setdefault(part.key, PendingObject())
        group.parts[part.part] = part
        group.receipts.append(message["ReceiptHandle"])
        if len(group.parts) < part.parts:
            continue
        del pending[part.key]
        data = assemble(group)
        if data is None:
            summary.corrupt_keys.append(part.key)
            continue
        try:
            lake.write(part.key, data)
        except LakeError as exc:
            summary.lake_error = str(exc)
            return summary
        summary.objects_written += 1
        refused = queue.delete(group.receipts)
        summary.messages_deleted += len(group.receipts) - refused
        summary.messages_not_deleted += refused
    summary.incomplete_keys = sorted(pending)
    return summary


def receive_all(
    queue: SqsDeadLetterQueue, max_messages: int | None, wait_seconds: int
) -> Iterator[dict[str, Any]]:
    received = 0
    while max_messages is None or received < max_messages:
        messages = queue.receive(wait_seconds)
        if not messages:
            return
        for message in messages:
            received += 1
            yield message


def assemble(group: PendingObject) -> bytes | None:
    """The object's bytes when the parts agree on size and checksum and gunzip cleanly."""
    first = next(iter(group.parts.values()))
    consistent = all(
        part.parts == first.parts and part.sha256 == first.sha256 for part in group.parts.values()
    )
    if not consistent or set(group.parts) != set(range(1, first.parts + 1)):
        return None
    data = b"".join(group.parts[number].data for number in range(1, first.parts + 1))
    if hashlib.sha256(data).hexdigest() != first.sha256:
        return None
    try:
        decode_object(data)
    except CorruptObjectError:
        return None
    return data
