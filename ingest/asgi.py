"""`clickstream serve`: the ingest core behind uvicorn and Starlette, same code as the Lambda.

Why this stack: uvicorn (with uvloop and httptools) is the maintained reference ASGI
server and runs several worker processes; Starlette is the thin, well-kept toolkit under
FastAPI. FastAPI itself would add request models and a generated OpenAPI document, and
neither fits: the core must see the raw bytes to apply the size limit before any parsing,
and the OpenAPI document is written by hand and tested against this server.

The core is synchronous (it fsyncs files or calls S3 and SQS), so it runs in Starlette's
thread pool and the event loop stays free to read other connections meanwhile.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ingest.config import IngestConfig
from ingest.core import HttpRequest, IngestService, log_request


def create_app(service: IngestService | None = None) -> Starlette:
    """The ASGI app; without a service, one is built from the environment (uvicorn workers)."""
    endpoint = IngestEndpoint(service or IngestService.from_config(IngestConfig.from_env()))
    # One route for every path and method: the core answers 404 and 405 as the Lambda does.
    return Starlette(routes=[Route("/{path:path}", endpoint)])


class IngestEndpoint:
    def __init__(self, service: IngestService) -> None:
        self.service = service
        self.max_body_bytes = service.config.limits.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request = Request(scope, receive)
        try:
            body, too_large = await read_body(request, self.max_body_bytes)
        except ClientDisconnect:
            return  # nobody is left to answer; nothing was acknowledged
        http_request = HttpRequest(
            method=request.method,
            path=scope["path"],
            headers=dict(request.headers),
            query=dict(request.query_params),
            body=body,
            request_id=str(uuid.uuid4()),
            received_at=datetime.now(UTC),
            body_too_large=too_large,
        )
        response = await run_in_threadpool(self.service.handle, http_request)
        log_request(http_request, response, time.perf_counter() - started)
        await Response(response.body, response.status, headers=response.headers)(
            scope, receive, send
        )


async def read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, or (b"", True) as soon as it is known to exceed `limit`: never read more."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", True
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return b"", True
    return bytes(body), False
