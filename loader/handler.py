"""AWS Lambda entry point: an EventBridge schedule in, the run's JSON summary out.

Configuration: `CLICKSTREAM_LAKE` (s3://bucket/prefix), `LOADER_DATABASE_URL` (the loader
role's URL without its password) and `LOADER_DATABASE_PASSWORD_PARAMETER` (an SSM
SecureString holding the password), plus the `LOADER_*` tuning variables.
"""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters

from loader.core import LoaderSettings, LoadSummary, logger, run_load
from shared.db import component_url, with_user
from shared.lake import open_lake
from shared.settings import ConfigError

metrics = Metrics(namespace="Clickstream", service="loader")
# Leave time to commit the batch in flight and report before Lambda's own timeout.
SAFETY_MARGIN_SECONDS = 60


def database_url() -> str:
    url = component_url("loader")
    parameter = os.environ.get("LOADER_DATABASE_PASSWORD_PARAMETER", "").strip()
    if not parameter:
        return url
    password = parameters.get_parameter(parameter, decrypt=True, max_age=300)
    return with_user(url, urlsplit(url).username or "clickstream_loader", password)


def lake_url() -> str:
    url = os.environ.get("CLICKSTREAM_LAKE", "").strip()
    if not url:
        raise ConfigError("CLICKSTREAM_LAKE is not set; set it to s3://<raw bucket>/<prefix>")
    return url


def publish(summary: LoadSummary) -> None:
    metrics.add_metric("ObjectsLoaded", MetricUnit.Count, summary.objects_loaded)
    metrics.add_metric("ObjectsFailed", MetricUnit.Count, summary.objects_failed)
    metrics.add_metric("ObjectsPending", MetricUnit.Count, summary.objects_pending)
    metrics.add_metric("RowsLoaded", MetricUnit.Count, summary.rows_loaded)
    metrics.add_metric("RowsRejected", MetricUnit.Count, summary.rows_rejected)
    metrics.add_metric("BytesLoaded", MetricUnit.Bytes, summary.bytes_loaded)
    metrics.add_metric("LoadSeconds", MetricUnit.Seconds, summary.seconds)
    if summary.lag_seconds is not None:
        metrics.add_metric("LagSeconds", MetricUnit.Seconds, summary.lag_seconds)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    remaining = context.get_remaining_time_in_millis() / 1000
    deadline = time.monotonic() + max(remaining - SAFETY_MARGIN_SECONDS, 0)
    summary = run_load(
        open_lake(lake_url()), database_url(), LoaderSettings.from_env(), deadline=deadline
    )
    publish(summary)
    return summary.as_dict()
