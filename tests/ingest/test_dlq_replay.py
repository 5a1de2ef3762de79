"""`clickstream dlq replay` end to end on moto: park objects while S3 refuses, then replay."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import boto3
import httpx
import pytest

from cli.main import main
from ingest.core import IngestService
from tests.ingest.conftest import Aws, local_config, make_event, running_server

PREFIX = "shop"


def queue_depth(queue_url: str) -> int:
    """Messages in the queue, visible or not (received but not deleted)."""
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def park_events_in_the_dlq(
    tmp_path: Path, lake_url: str, queue_url: str, message_bytes: int
) -> tuple[list[dict], list[dict]]:
    """Send three requests while the lake's bucket does not exist; all answered 202."""
    config = replace(
        local_config(tmp_path / "unused"),
        lake_url=lake_url,
        dlq_url=queue_url,
        dlq_max_message_bytes=message_bytes,
    )
    valid = [
        make_event(session_id=f"s-{n}", props={"n": n, "pad": f"{n:x}" * 90}) for n in range(25)
    ]
    refused = [make_event(event_type="hover"), make_event(props={"note": "a\u0000b"})]
    with running_server(IngestService.from_config(config)) as base_url:
        for body in ({"events": valid[:20]}, {"events": [*valid[20:], *refused]}):
            assert httpx.post(f"{base_url}/v1/events", json=body).status_code == 202
    return valid, refused


@pytest.fixture
def parked(tmp_path: Path, aws: Aws) -> tuple[str, str, list[dict], list[dict]]:
    bucket = f"later-{aws.bucket}"
    queue_url = boto3.client("sqs").create_queue(
        QueueName=f"replay-{aws.bucket}", Attributes={"MaximumMessageSize": "2048"}
    )["QueueUrl"]
    valid, refused = park_events_in_the_dlq(tmp_path, f"s3://{bucket}/{PREFIX}", queue_url, 2048)
    return bucket, queue_url, valid, refused


def test_replay_moves_every_object_into_the_lake_and_empties_the_queue(
    parked: tuple[str, str, list[dict], list[dict]], aws: Aws, capsys: pytest.CaptureFixture
) -> None:
    bucket, queue_url, valid, refused = parked
    parked_messages = queue_depth(queue_url)
    assert parked_messages > 3  # three objects, the large ones split over 2 KB messages
    boto3.client("s3").create_bucket(Bucket=bucket)  # the lake is back

    exit_code = main(
        ["dlq", "replay", "--lake", f"s3://{bucket}/{PREFIX}", "--queue-url", queue_url]
    )

    assert exit_code == 0, capsys.readouterr().out
    assert f"3 objects written to s3://{bucket}/{PREFIX}" in capsys.readouterr().out
    lake = replace(aws, bucket=bucket)
    raw = lake.lake_records(PREFIX, "raw")
    assert sorted(record["event_id"] for record in raw) == sorted(e["event_id"] for e in valid)
    invalid = lake.lake_records(PREFIX, "invalid")
    assert sorted(record["reason"] for record in invalid) == ["encoding", "schema"]
    assert [record["payload"] for record in invalid if "payload" in record] == [refused[0]]
    assert queue_depth(queue_url) == 0
    keys = [item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert all(
        key.startswith(f"{PREFIX}/raw/year=") or key.startswith(f"{PREFIX}/invalid/year=")
        for key in keys
    )


def test_replay_deletes_nothing_while_the_lake_still_refuses(
    parked: tuple[str, str, list[dict], list[dict]], capsys: pytest.CaptureFixture
) -> None:
    bucket, queue_url, _, _ = parked
    before = queue_depth(queue_url)

    exit_code = main(
        ["dlq", "replay", "--lake", f"s3://{bucket}/{PREFIX}", "--queue-url", queue_url]
    )

    assert exit_code == 1
    output = capsys.readouterr().out
    assert "0 objects written" in output
    assert "NoSuchBucket" in output
    assert "run the replay again" in output
    assert queue_depth(queue_url) == before


def test_malformed_and_incomplete_messages_stay_in_the_queue(
    tmp_path: Path, aws: Aws, capsys: pytest.CaptureFixture
) -> None:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=aws.queue_url, MessageBody="hello, not a lake object")
    half = {
        "type": "clickstream.lake-object",
        "version": 1,
        "key": "raw/year=2026/month=11/day=23/hour=10/events-20261123T101530250000Z-abc.ndjson.gz",
        "part": 1,
        "parts": 2,
        "sha256": "0" * 64,
        "bytes": 10,
        "request_id": "r",
        "data": "AAAA",
    }
    sqs.send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps(half))
    traversal = {**half, "key": "../../etc/passwd", "parts": 1}
    sqs.send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps(traversal))
    lake = tmp_path / "lake"

    exit_code = main(["dlq", "replay", "--lake", str(lake), "--queue-url", aws.queue_url])

    assert exit_code == 1
    output = capsys.readouterr().out
    assert "incomplete: raw/year=2026/month=11/day=23/hour=10/" in output
    assert "2 messages are not lake objects" in output
    assert queue_depth(aws.queue_url) == 3
    assert not lake.exists() or list(lake.rglob("*")) == []
