"""The loader's Lambda handler: a scheduled event in, the run's summary out (S3 on moto)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from shared.lake import encode_ndjson_gz, object_key
from tests.conftest import Warehouse
from tests.loader.conftest import HOUR

SCHEDULED_EVENT = json.loads(
    (Path(__file__).parent / "fixtures" / "eventbridge_scheduled_event.json").read_text()
)


@dataclass
class FakeContext:
    remaining_millis: int = 900_000
    function_name: str = "clickstream-loader"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:clickstream-loader"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@pytest.fixture
def s3_lake(aws: str, monkeypatch: pytest.MonkeyPatch) -> str:
    boto3.client("s3").create_bucket(Bucket="raw-bucket")
    monkeypatch.setenv("CLICKSTREAM_LAKE", "s3://raw-bucket/shop")
    return "s3://raw-bucket/shop"


def put_object(key: str, records: list[dict]) -> None:
    boto3.client("s3").put_object(
        Bucket="raw-bucket", Key=f"shop/{key}", Body=encode_ndjson_gz(records)
    )


def test_scheduled_run_loads_s3_objects_and_reports_metrics(
    warehouse: Warehouse,
    s3_lake: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LOADER_DATABASE_URL", warehouse.url("loader"))
    put_object(object_key("raw", HOUR, "a"), [{"event_id": "e1"}, {"event_id": "e2"}])
    put_object(object_key("invalid", HOUR, "b"), [{"reason": "schema", "detail": "x"}])
    from loader.handler import lambda_handler

    result = lambda_handler(SCHEDULED_EVENT, FakeContext())

    assert (result["status"], result["objects_loaded"]) == ("succeeded", 2)
    assert (result["rows_loaded"], result["rows_rejected"]) == (2, 1)
    assert warehouse.scalar("select count(*) from raw.events") == 2
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert emf, "no EMF metrics were printed"
    assert emf[-1]["RowsLoaded"] == [2.0]
    assert emf[-1]["RowsRejected"] == [1.0]
    assert emf[-1]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Clickstream"


def test_password_comes_from_ssm_and_is_put_in_the_url(
    s3_lake: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("ssm").put_parameter(
        Name="/clickstream/loader-password", Value="s3cr:t/pw", Type="SecureString"
    )
    monkeypatch.setenv("LOADER_DATABASE_URL", "postgresql://clickstream_loader@db.internal/cs")
    monkeypatch.setenv("LOADER_DATABASE_PASSWORD_PARAMETER", "/clickstream/loader-password")
    from loader.handler import database_url

    assert database_url() == "postgresql://clickstream_loader:s3cr%3At%2Fpw@db.internal/cs"


def test_a_run_near_the_lambda_timeout_leaves_work_for_the_next(
    warehouse: Warehouse, s3_lake: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOADER_DATABASE_URL", warehouse.url("loader"))
    put_object(object_key("raw", HOUR, "a"), [{"event_id": "e1"}])
    from loader.handler import lambda_handler

    result = lambda_handler(SCHEDULED_EVENT, FakeContext(remaining_millis=30_000))

    assert (result["objects_loaded"], result["objects_pending"]) == (0, 1)


def test_missing_lake_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLICKSTREAM_LAKE", raising=False)
    from loader.handler import lake_url
    from shared.settings import ConfigError

    with pytest.raises(ConfigError, match="CLICKSTREAM_LAKE"):
        lake_url()
