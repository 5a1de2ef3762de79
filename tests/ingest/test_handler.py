"""The Lambda handler with API Gateway HTTP API (payload 2.0) event fixtures and a fake context."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest import handler
from shared.settings import ConfigError
from tests.conftest import PROJECT_ROOT
from tests.ingest.conftest import TEST_SALT, Aws, lake_bytes, records

FIXTURES = Path(__file__).parent / "fixtures"
CLIENT_IP = b"198.51.100.23"


@dataclass
class FakeLambdaContext:
    function_name: str = "clickstream-ingest"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:ap-southeast-1:123456789012:function:clickstream-ingest"
    )
    aws_request_id: str = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
    log_group_name: str = "/aws/lambda/clickstream-ingest"
    log_stream_name: str = "2026/11/23/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return handler.lambda_handler(event, FakeLambdaContext())


def emitted_metrics(output: str) -> dict[str, list[float]]:
    """The EMF document Powertools printed: metric name -> values."""
    [document] = [json.loads(line) for line in output.splitlines() if '"_aws"' in line]
    names = [metric["Name"] for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    return {name: document[name] for name in names}


@pytest.fixture
def lambda_env(lake: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLICKSTREAM_LAKE", str(lake))
    monkeypatch.setenv("INGEST_ALLOWED_ORIGINS", "https://shop.example")
    monkeypatch.setenv("CLICKSTREAM_USER_ID_SALT", TEST_SALT)
    monkeypatch.delenv("INGEST_WRITE_KEYS", raising=False)
    monkeypatch.delenv("INGEST_DLQ_URL", raising=False)
    handler.service.cache_clear()
    yield lake
    handler.service.cache_clear()


def test_post_json_batch(lambda_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    response = invoke(fixture("apigw_v2_post_json"))

    assert response["statusCode"] == 202
    assert response["headers"]["x-request-id"] == "BxqK2iYlSQ0EJfg="
    assert response["headers"]["access-control-allow-origin"] == "https://shop.example"
    body = json.loads(response["body"])
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["results"][1]["reason"] == "schema"

    [record] = records(lambda_env, "raw")
    assert record["event_id"] == "0b6f3c1e-6a4d-4b8e-9f2a-1c3d5e7f9a0b"
    assert record["request_id"] == "BxqK2iYlSQ0EJfg="
    assert record["geo"] == {"country": "VN"}
    assert record["ua"]["device_type"] == "mobile"
    assert record["ua"]["os"] == "iOS"
    expected_hash = hmac.new(TEST_SALT.encode(), b"customer-42", hashlib.sha256).hexdigest()
    assert record["user_id"] == expected_hash
    # sent 5 s after the event by the client's clock: corrected time = received_at − 5 s
    received_at = datetime.fromisoformat(record["received_at"])
    assert datetime.fromisoformat(record["ts_corrected"]) == received_at - timedelta(seconds=5)
    [invalid] = records(lambda_env, "invalid")
    assert invalid["payload"]["event_type"] == "teleport"
    assert CLIENT_IP not in lake_bytes(lambda_env)

    output = capsys.readouterr().out
    assert emitted_metrics(output) == {
        "Requests": [1.0],
        "EventsAccepted": [1.0],
        "EventsRejected": [1.0],
        "ObjectsInDeadLetterQueue": [0.0],
    }
    assert CLIENT_IP.decode() not in output


def test_sendbeacon_base64_body_on_a_named_stage_with_a_write_key(
    lambda_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INGEST_WRITE_KEYS", "pk_live_ingest,pk_live_other")
    event = fixture("apigw_v2_post_beacon_base64")

    response = invoke(event)

    assert response["statusCode"] == 202
    [record] = records(lambda_env, "raw")
    assert record["page_title"] == "Cảm ơn 🛒"
    assert "Cảm ơn 🛒".encode() in lake_bytes(lambda_env)
    assert record["ua"]["browser"] == "Chrome"

    event["queryStringParameters"] = {"writeKey": "pk_wrong"}
    refused = invoke(event)
    assert refused["statusCode"] == 401
    assert json.loads(refused["body"])["error"] == "unauthorized"
    assert len(records(lambda_env, "raw")) == 1


def test_jwt_claims_from_the_authorizer_stand_in_for_a_write_key(
    lambda_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INGEST_WRITE_KEYS", "pk_live_ingest")
    event = fixture("apigw_v2_post_jwt")

    assert invoke(event)["statusCode"] == 202
    [record] = records(lambda_env, "raw")
    assert (record["event_type"], record["ecom"]["order_id"]) == ("purchase", "o-1001")

    del event["requestContext"]["authorizer"]
    assert invoke(event)["statusCode"] == 401  # the bearer header alone is not verified


def test_preflight_and_health(lambda_env: Path) -> None:
    preflight = invoke(fixture("apigw_v2_options_preflight"))
    assert preflight["statusCode"] == 204
    assert preflight["headers"]["access-control-allow-origin"] == "https://shop.example"
    assert preflight["headers"]["access-control-allow-headers"] == (
        "content-type, x-api-key, authorization"
    )

    health = invoke(fixture("apigw_v2_get_healthz"))
    assert (health["statusCode"], json.loads(health["body"])) == (200, {"status": "ok"})
    assert "access-control-allow-origin" not in health["headers"]


def test_unparseable_body_is_kept_and_answered_400(lambda_env: Path) -> None:
    event = fixture("apigw_v2_post_json")
    event["body"] = base64.b64encode(b"\xff\xfe not json").decode()
    event["isBase64Encoded"] = True

    response = invoke(event)

    assert response["statusCode"] == 400
    [invalid] = records(lambda_env, "invalid")
    assert base64.b64decode(invalid["payload_base64"]) == b"\xff\xfe not json"


def test_a_missing_lake_setting_names_the_variable(
    lambda_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLICKSTREAM_LAKE")
    # Powertools warns that the failed invocation published no metrics.
    with (
        pytest.raises(ConfigError, match="CLICKSTREAM_LAKE"),
        pytest.warns(UserWarning, match="No application metrics"),
    ):
        invoke(fixture("apigw_v2_get_healthz"))


def test_lambda_writes_to_s3_and_falls_back_to_the_dlq(
    lambda_env: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CLICKSTREAM_LAKE", f"s3://{aws.bucket}/lake")
    monkeypatch.setenv("INGEST_DLQ_URL", aws.queue_url)
    handler.service.cache_clear()
    assert invoke(fixture("apigw_v2_post_jwt"))["statusCode"] == 202
    assert [r["event_type"] for r in aws.lake_records("lake", "raw")] == ["purchase"]

    monkeypatch.setenv("CLICKSTREAM_LAKE", f"s3://missing-{aws.bucket}/lake")
    handler.service.cache_clear()
    capsys.readouterr()
    assert invoke(fixture("apigw_v2_post_jwt"))["statusCode"] == 202

    [message] = aws.drain_queue()
    parked = gzip.decompress(base64.b64decode(json.loads(message)["data"]))
    assert json.loads(parked)["event_id"] == "1d2c3b4a-5f6e-4d8c-9b0a-112233445566"
    assert emitted_metrics(capsys.readouterr().out)["ObjectsInDeadLetterQueue"] == [1.0]


ISOLATED_RUN = """
import importlib.abc, json, sys

class Forbid(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"cli", "loader", "generator", "dashboard", "starlette",
                                  "uvicorn", "tests"}:
            raise ImportError(f"the Lambda zip must not need {name}")
        return None

sys.meta_path.insert(0, Forbid())
from ingest.handler import lambda_handler
import ingest, shared
assert ingest.__file__.startswith(sys.argv[1]) and shared.__file__.startswith(sys.argv[1])

class Context:
    function_name = "f"; memory_limit_in_mb = 128; aws_request_id = "r"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"

event = json.loads(open(sys.argv[2]).read())
print("STATUS", lambda_handler(event, Context())["statusCode"])
"""


def test_the_lambda_package_needs_only_ingest_and_shared(tmp_path: Path) -> None:
    package = tmp_path / "zip"
    for name in ("ingest", "shared"):
        shutil.copytree(
            PROJECT_ROOT / name, package / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    environment = {
        "PYTHONPATH": str(package),
        "CLICKSTREAM_LAKE": str(tmp_path / "lake"),
        "PATH": "/usr/bin:/bin",
    }
    event_file = FIXTURES / "apigw_v2_post_json.json"
    result = subprocess.run(
        [sys.executable, "-c", ISOLATED_RUN, str(package), str(event_file)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "STATUS 202" in result.stdout, result.stderr
    assert len(records(tmp_path / "lake", "raw")) == 1
