"""One structured JSON logger per service (Powertools: the same lines in Lambda and locally)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger


def get_logger(service: str) -> Logger:
    return Logger(service=service, level=os.environ.get("LOG_LEVEL", "INFO"))
