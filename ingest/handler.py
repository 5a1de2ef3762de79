"""AWS Lambda entry point `ingest.handler.lambda_handler`: API Gateway HTTP API, payload 2.0.

Configuration: `CLICKSTREAM_LAKE` (s3://<raw bucket>/<prefix>), `INGEST_DLQ_URL` (the SQS
dead-letter queue), `INGEST_ALLOWED_ORIGINS`, `INGEST_WRITE_KEYS`, `CLICKSTREAM_USER_ID_SALT`
and the `INGEST_MAX_*` limits. The lake and queue clients are built once per container,
on the first request, and reused.
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from ingest.config import IngestConfig
from ingest.core import HttpRequest, HttpResponse, IngestService, log_request, logger
from shared.settings import ConfigError, env_str

metrics = Metrics(namespace="Clickstream", service="ingest")


@cache
def service() -> IngestService:
    lake_url = env_str("CLICKSTREAM_LAKE", "")
    if not lake_url:
        raise ConfigError("CLICKSTREAM_LAKE is not set; set it to s3://<raw bucket>/<prefix>")
    return IngestService.from_config(IngestConfig.from_env(lake_url=lake_url))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    request = http_request(APIGatewayProxyEventV2(event))
    response = service().handle(request)
    log_request(request, response, time.perf_counter() - started)
    publish(response)
    return {
        "statusCode": response.status,
        "headers": response.headers,
        "body": response.body.decode("utf-8"),
        "isBase64Encoded": False,
    }


def http_request(event: APIGatewayProxyEventV2) -> HttpRequest:
    context = event.request_context
    return HttpRequest(
        method=event.http_method.upper(),
        path=event.path,  # without the stage prefix
        headers={name.lower(): value for name, value in (event.get("headers") or {}).items()},
        query=event.query_string_parameters,
        body=body_bytes(event),
        request_id=context.request_id,
        received_at=datetime.now(UTC),
        jwt_claims=context.authorizer.jwt_claim or None,
    )


def body_bytes(event: APIGatewayProxyEventV2) -> bytes:
    body = event.body or ""
    if not event.is_base64_encoded:
        # API Gateway hands text bodies over as str; invalid UTF-8 cannot survive that, and
        # lone surrogates must reach the core's check rather than crash the encoder.
        return body.encode("utf-8", "surrogatepass")
    return base64.b64decode(body)


def publish(response: HttpResponse) -> None:
    outcome = response.outcome
    metrics.add_metric("Requests", MetricUnit.Count, 1)
    metrics.add_metric("EventsAccepted", MetricUnit.Count, outcome.accepted)
    metrics.add_metric("EventsRejected", MetricUnit.Count, outcome.rejected)
    metrics.add_metric("ObjectsInDeadLetterQueue", MetricUnit.Count, outcome.stored_in.count("dlq"))
    if 400 <= outcome.status < 500:
        metrics.add_metric("ClientErrors", MetricUnit.Count, 1)
    if outcome.status >= 500:
        metrics.add_metric("StorageUnavailable", MetricUnit.Count, 1)
