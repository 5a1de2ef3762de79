"""Durability over real sockets: an S3 lake and an SQS dead-letter queue on moto's server.

S3 "refuses writes" because the lake's bucket does not exist (NoSuchBucket); SQS refuses
because the queue does not exist or its message size limit is smaller than a message.
DLQ messages are decoded here by hand (JSON, base64, gzip), not with ingest.dlq.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from dataclasses import replace
from pathlib import Path

import boto3
import httpx

from ingest.core import IngestService
from tests.ingest.conftest import Aws, local_config, make_event, ndjson_records, running_server

PREFIX = "shop"


def s3_service(tmp_path: Path, lake_url: str, queue_url: str | None, **overrides) -> IngestService:
    config = replace(local_config(tmp_path / "unused"), lake_url=lake_url, dlq_url=queue_url)
    return IngestService.from_config(replace(config, **overrides))


def dlq_objects(bodies: list[str]) -> dict[str, list[dict]]:
    """key -> lake records, reassembled from the message parts."""
    parts: dict[str, dict[int, bytes]] = {}
    for body in bodies:
        message = json.loads(body)
        parts.setdefault(message["key"], {})[message["part"]] = base64.b64decode(message["data"])
    objects = {}
    for key, chunks in parts.items():
        objects[key] = ndjson_records(b"".join(chunks[number] for number in sorted(chunks)))
    return objects


def test_events_land_in_the_s3_lake_under_the_prefix(tmp_path: Path, aws: Aws) -> None:
    service = s3_service(tmp_path, f"s3://{aws.bucket}/{PREFIX}", aws.queue_url)
    sent = [make_event(), make_event(event_type="hover")]
    with running_server(service) as base_url:
        response = httpx.post(f"{base_url}/v1/events", json={"events": sent})

    assert response.status_code == 202
    assert [r["event_id"] for r in aws.lake_records(PREFIX, "raw")] == [sent[0]["event_id"]]
    assert [r["payload"] for r in aws.lake_records(PREFIX, "invalid")] == [sent[1]]
    assert aws.drain_queue() == []


def test_s3_refusing_writes_parks_the_events_in_the_dlq_and_still_answers_202(
    tmp_path: Path, aws: Aws
) -> None:
    service = s3_service(tmp_path, f"s3://no-such-bucket-{aws.bucket}/{PREFIX}", aws.queue_url)
    good, bad = make_event(page_title="🛒 مرحبا"), make_event(event_type="hover")
    with running_server(service) as base_url:
        response = httpx.post(f"{base_url}/v1/events", json={"events": [good, bad]})

    assert response.status_code == 202
    assert (response.json()["accepted"], response.json()["rejected"]) == (1, 1)
    objects = dlq_objects(aws.drain_queue())
    [raw_key] = [key for key in objects if key.startswith("raw/")]
    [invalid_key] = [key for key in objects if key.startswith("invalid/")]
    [raw_record] = objects[raw_key]
    assert raw_record["event_id"] == good["event_id"]
    assert raw_record["page_title"] == "🛒 مرحبا"
    assert raw_record["request_id"] == response.headers["x-request-id"]
    assert [record["payload"] for record in objects[invalid_key]] == [bad]


def test_a_large_object_is_split_over_several_dlq_messages(tmp_path: Path, aws: Aws) -> None:
    small_queue = boto3.client("sqs").create_queue(
        QueueName=f"small-{aws.bucket}", Attributes={"MaximumMessageSize": "2048"}
    )["QueueUrl"]
    service = s3_service(
        tmp_path,
        f"s3://no-such-bucket-{aws.bucket}/{PREFIX}",
        small_queue,
        dlq_max_message_bytes=2048,
    )
    # Incompressible-ish props so the gzipped object needs several 2 KB messages.
    sent = [make_event(props={"token": base64.b64encode(bytes(range(256)) * 3).decode()})]
    sent += [make_event(props={"n": n, "salt": f"{n * 7919:x}" * 20}) for n in range(30)]
    with running_server(service) as base_url:
        response = httpx.post(f"{base_url}/v1/events", json={"events": sent})

    assert response.status_code == 202
    bodies = replace(aws, queue_url=small_queue).drain_queue()
    assert len(bodies) > 1
    assert all(len(body.encode()) <= 2048 for body in bodies)
    [records] = dlq_objects(bodies).values()
    assert [record["event_id"] for record in records] == [event["event_id"] for event in sent]


def test_s3_and_sqs_both_refusing_answers_503_and_acknowledges_nothing(
    tmp_path: Path, aws: Aws
) -> None:
    # The queue exists but takes nothing over 1 KB, while the service was told 256 KB, so
    # it sends the object as one message that the queue refuses.
    tiny_queue = boto3.client("sqs").create_queue(
        QueueName=f"tiny-{aws.bucket}", Attributes={"MaximumMessageSize": "1024"}
    )["QueueUrl"]
    missing_bucket = f"s3://no-such-bucket-{aws.bucket}/{PREFIX}"
    service = s3_service(tmp_path, missing_bucket, tiny_queue)
    # Random bytes do not compress: the gzipped object alone is well over the queue's 1 KB.
    sent = [
        make_event(props={"token": base64.b64encode(os.urandom(512)).decode()}) for _ in range(5)
    ]
    assert len(gzip.compress(json.dumps(sent).encode())) > 2 * 1024
    with running_server(service) as base_url:
        response = httpx.post(f"{base_url}/v1/events", json={"events": sent})
        deleted_queue = s3_service(tmp_path, missing_bucket, aws.queue_url)
        boto3.client("sqs").delete_queue(QueueUrl=aws.queue_url)
    with running_server(deleted_queue) as base_url:
        second = httpx.post(f"{base_url}/v1/events", json=make_event())

    for answer in (response, second):
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "10"
        assert "accepted" not in answer.json()
    assert replace(aws, queue_url=tiny_queue).drain_queue() == []
