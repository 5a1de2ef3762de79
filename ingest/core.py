"""HTTP semantics of the ingest API, shared by the Lambda handler and the local server.

A transport-neutral `HttpRequest` goes in, an `HttpResponse` comes out; the only side
effects are durable writes through `DurableStore`. Checks run cheapest first and in the
order SPEC §3 asks: path and method, write key, content type, body size, JSON, batch
size, then each event's limits, encoding and schema (`shared.enrichment.process_events`).
Every event of a parseable body ends in `raw/` or `invalid/`; a body that cannot be split
into events ends in `invalid/` whole. The answer is 2xx only once that write is durable.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from ingest.config import IngestConfig
from ingest.storage import (
    Destination,
    DurableStore,
    GroupCommitWriter,
    StorageUnavailableError,
    open_dead_letter_queue,
    open_ingest_lake,
)
from shared.contract import RejectReason
from shared.enrichment import (
    IntakeResult,
    RequestContext,
    invalid_body_record,
    json_type,
    process_events,
)
from shared.lake import INVALID, RAW, encode_ndjson_gz, object_key
from shared.logs import get_logger

logger = get_logger("ingest")

EVENTS_PATH = "/v1/events"
HEALTH_PATH = "/healthz"
ACCEPTED_MEDIA_TYPES = ("application/json", "text/plain")
CORS_PREFLIGHT_HEADERS = {
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "content-type, x-api-key, authorization",
    "access-control-max-age": "600",
}
CORS_EXPOSE_HEADERS = "x-request-id, retry-after"
RETRY_AFTER_SECONDS = "10"
COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")
# orjson, the lake's encoder, holds integers in this range and parses larger ones as floats;
# the fallback parser does the same so both paths store the same thing.
INT_RANGE = range(-(2**63), 2**64)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case
    query: Mapping[str, str]
    body: bytes
    request_id: str
    received_at: datetime
    # The front door stopped reading at the body limit: the body is incomplete.
    body_too_large: bool = False
    # Claims of a JWT that API Gateway's authorizer verified; never set by the local server.
    jwt_claims: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RequestOutcome:
    """What happened, for the request log line and metrics."""

    status: int
    accepted: int = 0
    rejected: int = 0
    stored_in: tuple[Destination, ...] = ()
    problem: str | None = None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    outcome: RequestOutcome
    headers: dict[str, str] = field(default_factory=dict)


class BodyProblem(Exception):  # noqa: N818 - an outcome, not a failure of the service
    """The body cannot be split into events; it goes to invalid/ whole."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class IngestService:
    def __init__(self, config: IngestConfig, store: DurableStore) -> None:
        self.config = config
        self.store = store

    @classmethod
    def from_config(cls, config: IngestConfig) -> IngestService:
        lake = open_ingest_lake(config.lake_url)
        dlq = open_dead_letter_queue(config.dlq_url, config.dlq_max_message_bytes)
        return cls(config, DurableStore(GroupCommitWriter(lake), dlq))

    def handle(self, request: HttpRequest) -> HttpResponse:
        response = self._route(request)
        response.headers["x-request-id"] = request.request_id
        origin = self.allowed_origin(request)
        if origin is not None:
            response.headers["access-control-allow-origin"] = origin
            response.headers["access-control-expose-headers"] = CORS_EXPOSE_HEADERS
        if self.config.allowed_origins and request.path == EVENTS_PATH:
            response.headers["vary"] = "Origin"
        return response

    def _route(self, request: HttpRequest) -> HttpResponse:
        if request.path == EVENTS_PATH:
            if request.method == "POST":
                return self.ingest(request)
            if request.method == "OPTIONS":
                return self.preflight(request)
            return method_not_allowed(request, "POST, OPTIONS")
        if request.path == HEALTH_PATH:
            if request.method == "GET":
                return json_response(200, {"status": "ok"}, RequestOutcome(200))
            return method_not_allowed(request, "GET")
        return error_response(
            request, 404, "not_found", f"no resource at {request.path}; POST events to /v1/events"
        )

    def allowed_origin(self, request: HttpRequest) -> str | None:
        origin = request.headers.get("origin")
        if not origin or not self.config.allowed_origins:
            return None
        normalised = origin.strip().rstrip("/").lower()
        if "*" in self.config.allowed_origins or normalised in self.config.allowed_origins:
            return origin
        return None

    def preflight(self, request: HttpRequest) -> HttpResponse:
        if "origin" not in request.headers:
            return HttpResponse(204, b"", RequestOutcome(204), {"allow": "POST, OPTIONS"})
        if self.allowed_origin(request) is None:
            return error_response(
                request,
                403,
                "origin_not_allowed",
                f"origin {request.headers['origin']!r} may not call this API from a browser; "
                "the operator lists allowed origins in INGEST_ALLOWED_ORIGINS",
            )
        return HttpResponse(204, b"", RequestOutcome(204), dict(CORS_PREFLIGHT_HEADERS))

    def authorised(self, request: HttpRequest) -> bool:
        """A write key, or a JWT that API Gateway verified, when write keys are configured."""
        if not self.config.write_keys or request.jwt_claims:
            return True
        presented = request.headers.get("x-api-key") or request.query.get("writeKey")
        if not presented:
            return False
        offered = presented.encode()
        # Compare against every key without stopping early: timing says nothing about keys.
        matches = [hmac.compare_digest(offered, key.encode()) for key in self.config.write_keys]
        return any(matches)

    def ingest(self, request: HttpRequest) -> HttpResponse:
        if not self.authorised(request):
            response = error_response(
                request,
                401,
                "unauthorized",
                "a write key is required: send it in the x-api-key header "
                "or the writeKey query parameter",
            )
            response.headers["www-authenticate"] = 'Bearer realm="clickstream-ingest"'
            return response
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in ACCEPTED_MEDIA_TYPES:
            return error_response(
                request,
                415,
                "unsupported_media_type",
                f"content type {media_type or '(none)'!r} is not accepted; "
                "send the JSON body as application/json or text/plain",
            )
        if request.body_too_large or len(request.body) > self.config.limits.max_body_bytes:
            response = error_response(
                request,
                413,
                "body_too_large",
                f"the body is over the {self.config.limits.max_body_bytes}-byte limit; "
                "send fewer events per request",
            )
            # The rest of the body was never read: do not parse it as the next request.
            response.headers["connection"] = "close"
            return response
        try:
            return self.ingest_events(request, split_events(request.body, self.config))
        except BodyProblem as problem:
            return self.refuse_body(request, problem)
        except StorageUnavailableError as exc:
            return self.unavailable(request, exc)

    def ingest_events(self, request: HttpRequest, items: Sequence[Any]) -> HttpResponse:
        context = request_context(request)
        result = process_events(items, context, self.config.limits, self.config.enrichment)
        stored_in: list[Destination] = []
        if result.invalid_records:
            stored_in.append(self.store_invalid_records(request, result))
        if result.lake_events:
            data = encode_ndjson_gz(result.lake_events)
            key = object_key(RAW, request.received_at)
            stored_in.append(self.store.put(key, data, request.request_id))
        outcome = RequestOutcome(202, result.accepted, result.rejected, tuple(stored_in))
        return json_response(202, intake_summary(request, result), outcome)

    def store_invalid_records(self, request: HttpRequest, result: IntakeResult) -> Destination:
        try:
            data = encode_ndjson_gz(result.invalid_records)
        except orjson.JSONEncodeError as exc:
            # A refused event nested deeper than orjson can write (254 levels): only the
            # body as bytes can keep it, so the request is refused whole.
            raise BodyProblem(
                RejectReason.DEPTH, f"an event is nested too deeply to store as JSON ({exc})"
            ) from exc
        key = object_key(INVALID, request.received_at)
        return self.store.put(key, data, request.request_id)

    def refuse_body(self, request: HttpRequest, problem: BodyProblem) -> HttpResponse:
        """400, once the body is durable in invalid/ (503 when it cannot be)."""
        record = invalid_body_record(
            request.body, problem.reason, problem.detail, request_context(request)
        )
        key = object_key(INVALID, request.received_at)
        try:
            stored_in = self.store.put(key, encode_ndjson_gz([record]), request.request_id)
        except StorageUnavailableError as exc:
            return self.unavailable(request, exc)
        response = error_response(request, 400, problem.reason.value, problem.detail)
        outcome = RequestOutcome(400, rejected=1, stored_in=(stored_in,), problem=problem.reason)
        return HttpResponse(400, response.body, outcome, response.headers)

    def unavailable(self, request: HttpRequest, error: StorageUnavailableError) -> HttpResponse:
        logger.error(
            "storage unavailable; nothing acknowledged",
            extra={"request_id": request.request_id, "error": str(error)},
        )
        response = error_response(
            request,
            503,
            "storage_unavailable",
            "the events could not be stored; nothing was accepted, retry later",
        )
        response.headers["retry-after"] = RETRY_AFTER_SECONDS
        return response


def request_context(request: HttpRequest) -> RequestContext:
    """What enrichment may know about the request: never the client's IP address."""
    country = request.headers.get("cloudfront-viewer-country", "").strip()
    return RequestContext(
        received_at=request.received_at,
        request_id=request.request_id,
        user_agent=request.headers.get("user-agent") or None,
        viewer_country=country.upper() if COUNTRY_CODE.fullmatch(country) else None,
    )


def split_events(body: bytes, config: IngestConfig) -> list[Any]:
    """One event, or the events of a `{"events": [...]}` batch, within the batch limit."""
    document = parse_json(body)
    if isinstance(document, dict) and "events" in document:
        events = document["events"]
        if not isinstance(events, list) or len(document) != 1:
            raise BodyProblem(
                RejectReason.NOT_OBJECT,
                'a batch is {"events": [...]} with an array of events and nothing else',
            )
    elif isinstance(document, dict):
        events = [document]
    else:
        raise BodyProblem(
            RejectReason.NOT_OBJECT,
            f"the body is a JSON {json_type(document)}; "
            'send one event object or {"events": [...]}',
        )
    if not events:
        raise BodyProblem(RejectReason.NOT_OBJECT, "the batch holds no events")
    if len(events) > config.limits.max_events:
        raise BodyProblem(
            RejectReason.TOO_MANY_EVENTS,
            f"the batch holds {len(events)} events, over the limit of "
            f"{config.limits.max_events}; split it into smaller batches",
        )
    return events


def parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        # orjson refuses a whole body for one lone surrogate escape ("\ud800"); the
        # standard parser keeps it, so only the event holding it is refused.
        return parse_json_leniently(body)


def parse_json_leniently(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyProblem(
            RejectReason.ENCODING,
            f"the body is not valid UTF-8 (byte {exc.start}); send JSON text encoded as UTF-8",
        ) from exc
    try:
        return json.loads(
            text, parse_constant=refuse_constant, parse_float=finite_float, parse_int=lake_int
        )
    except json.JSONDecodeError as exc:
        raise BodyProblem(RejectReason.UNPARSEABLE, f"the body is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise BodyProblem(RejectReason.DEPTH, "the body is nested too deeply to parse") from exc
    except ValueError as exc:
        raise BodyProblem(RejectReason.UNPARSEABLE, f"the body is not JSON: {exc}") from exc


def refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of the range of a double")
    return value


def lake_int(text: str) -> int | float:
    value = int(text)
    if value in INT_RANGE:
        return value
    try:
        return float(value)
    except OverflowError as exc:
        raise ValueError(f"{text[:20]}… is out of the range of a double") from exc


def intake_summary(request: HttpRequest, result: IntakeResult) -> dict[str, Any]:
    return {
        "accepted": result.accepted,
        "rejected": result.rejected,
        "request_id": request.request_id,
        "results": [
            {
                "index": outcome.index,
                "event_id": outcome.event_id,
                "status": "accepted" if outcome.accepted else "rejected",
                "reason": outcome.reason.value if outcome.reason else None,
                "detail": outcome.detail,
            }
            for outcome in result.outcomes
        ],
    }


def json_response(status: int, payload: dict[str, Any], outcome: RequestOutcome) -> HttpResponse:
    return HttpResponse(
        status, orjson.dumps(payload), outcome, {"content-type": "application/json"}
    )


def error_response(request: HttpRequest, status: int, error: str, detail: str) -> HttpResponse:
    payload = {"error": error, "detail": detail, "request_id": request.request_id}
    return json_response(status, payload, RequestOutcome(status, problem=error))


def method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    response = error_response(
        request, 405, "method_not_allowed", f"{request.method} is not allowed; use {allowed}"
    )
    response.headers["allow"] = allowed
    return response


def log_request(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    """One structured line per request; no IP address, no query string (it holds write keys)."""
    outcome = response.outcome
    logger.info(
        "request",
        extra={
            "request_id": request.request_id,
            "method": request.method,
            "path": request.path,
            "status": outcome.status,
            "accepted": outcome.accepted,
            "rejected": outcome.rejected,
            "stored_in": list(outcome.stored_in),
            "problem": outcome.problem,
            "body_bytes": len(request.body),
            "duration_ms": round(seconds * 1000, 3),
        },
    )
