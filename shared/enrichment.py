"""From client events to lake records: limits, validation, enrichment, PII scrubbing.

Pure functions shared by the ingest API (which adds HTTP, durability and the DLQ) and
the traffic generator (which must produce exactly what the ingest API would). Order of
checks per SPEC §3: limits (size, depth) and encoding before the schema.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError
from ua_parser import parse as parse_ua

from shared.contract import (
    SCHEMA_VERSION,
    ClientEvent,
    RejectReason,
    describe_validation_error,
    utc_iso,
)
from shared.settings import EnrichmentSettings, IngestLimits

EMAIL_LIKE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Nine or more digits, optionally with +, spaces, dots, dashes or brackets between them,
# standing alone: digits inside a longer token (the tail of a UUID, ORD-20261123-0A1B,
# SKU-123456789) are an identifier the analysis needs, not a phone number.
PHONE_LIKE = re.compile(r"(?<![\w+\-])\+?\(?\d(?:[\s().\-]*\d){8,}(?![\w\-])")
BOT_LIKE = re.compile(
    r"bot|crawl|spider|slurp|headless|phantomjs|puppeteer|playwright|selenium|lighthouse"
    r"|python-requests|python-urllib|curl/|wget/|httpclient|go-http-client|okhttp|axios/"
    r"|scrapy|facebookexternalhit|preview|monitor|uptime|pingdom",
    re.IGNORECASE,
)
TABLET_LIKE = re.compile(r"ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))", re.IGNORECASE)
MOBILE_LIKE = re.compile(r"mobi|iphone|ipod|android|windows phone|blackberry|opera mini", re.I)


@dataclass(frozen=True)
class RequestContext:
    """What the server knows about the request that carried the events."""

    received_at: datetime
    request_id: str
    user_agent: str | None = None
    viewer_country: str | None = None  # CloudFront-Viewer-Country


@dataclass(frozen=True)
class EventOutcome:
    index: int
    event_id: str | None
    accepted: bool
    reason: RejectReason | None = None
    detail: str | None = None


@dataclass
class IntakeResult:
    lake_events: list[dict[str, Any]] = field(default_factory=list)
    invalid_records: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[EventOutcome] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return len(self.lake_events)

    @property
    def rejected(self) -> int:
        return len(self.invalid_records)


def process_events(
    items: Sequence[Any],
    context: RequestContext,
    limits: IngestLimits,
    settings: EnrichmentSettings,
) -> IntakeResult:
    """Validate, enrich and scrub each item; every item ends in exactly one output list."""
    result = IntakeResult()
    for index, item in enumerate(items):
        event_id = item.get("event_id") if isinstance(item, dict) else None
        event_id = event_id if isinstance(event_id, str) else None
        problem = find_problem(item, limits)
        if problem is None:
            try:
                event = ClientEvent.model_validate(item)
            except ValidationError as error:
                problem = (RejectReason.SCHEMA, describe_validation_error(error))
        if problem is None:
            result.lake_events.append(enrich(event, context, settings))
            result.outcomes.append(EventOutcome(index, str(event.event_id), accepted=True))
            continue
        reason, detail = problem
        result.invalid_records.append(invalid_record(item, reason, detail, context, index))
        result.outcomes.append(EventOutcome(index, event_id, False, reason, detail))
    return result


def find_problem(item: Any, limits: IngestLimits) -> tuple[RejectReason, str] | None:
    """The first limit or encoding rule the item breaks, checked before the schema."""
    if not isinstance(item, dict):
        return RejectReason.NOT_OBJECT, f"expected a JSON object, got {json_type(item)}"
    depth = nesting_depth(item)
    if depth > limits.max_depth:
        return RejectReason.DEPTH, f"nesting depth {depth} exceeds {limits.max_depth}"
    size = len(
        json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    )
    if size > limits.max_event_bytes:
        return RejectReason.SIZE, f"event is {size} bytes, over the {limits.max_event_bytes} limit"
    encoding_problem = find_encoding_problem(item)
    if encoding_problem:
        return RejectReason.ENCODING, encoding_problem
    return None


def json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def nesting_depth(value: Any) -> int:
    """Depth of nested objects/arrays; a flat object is 1. Iterative: input is hostile."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node)
    return deepest


def iter_strings(value: Any) -> Iterable[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def find_encoding_problem(value: Any) -> str | None:
    """NUL characters and lone surrogates must never reach the lake (Postgres refuses both)."""
    for text in iter_strings(value):
        if "\x00" in text:
            return "contains a NUL character (\\u0000)"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone UTF-16 surrogate; send valid Unicode"
    return None


def enrich(event: ClientEvent, context: RequestContext, settings: EnrichmentSettings) -> dict:
    """The lake record for a valid event: server fields added, PII removed."""
    record = event.model_dump(mode="json", exclude_none=True)
    record["ts"] = utc_iso(event.ts)
    if event.sent_at is not None:
        record["sent_at"] = utc_iso(event.sent_at)
        record["ts_corrected"] = utc_iso(context.received_at - (event.sent_at - event.ts))
    if event.user_id is not None:
        record["user_id"] = hash_user_id(event.user_id, settings.user_id_salt)
    record["page_url"] = scrub_url(event.page_url)
    if event.referrer is not None:
        record["referrer"] = scrub_url(event.referrer)
    if event.props is not None:
        record["props"] = scrub_value(event.props)
    if context.viewer_country:
        record["geo"] = {**record.get("geo", {}), "country": context.viewer_country.upper()}
    record["received_at"] = utc_iso(context.received_at)
    record["request_id"] = context.request_id
    record["ua"] = dict(parse_user_agent(context.user_agent))  # the cached dict is shared
    record["schema_version"] = SCHEMA_VERSION
    return record


def invalid_record(
    item: Any,
    reason: RejectReason,
    detail: str,
    context: RequestContext,
    index: int | None,
) -> dict[str, Any]:
    """An invalid/ line. Payloads with NUL or lone surrogates are kept only as base64."""
    record: dict[str, Any] = {
        "received_at": utc_iso(context.received_at),
        "request_id": context.request_id,
        "reason": reason.value,
        "detail": detail[:2048],
        "schema_version": SCHEMA_VERSION,
    }
    if index is not None:
        record["event_index"] = index
    if find_encoding_problem(item) is None:
        record["payload"] = item
    else:
        raw = json.dumps(item, ensure_ascii=False).encode("utf-8", "surrogatepass")
        record["payload_base64"] = base64.b64encode(raw).decode("ascii")
    return record


def invalid_body_record(
    body: bytes, reason: RejectReason, detail: str, context: RequestContext
) -> dict[str, Any]:
    """An invalid/ line for a whole request body that could not be split into events."""
    return {
        "received_at": utc_iso(context.received_at),
        "request_id": context.request_id,
        "reason": reason.value,
        "detail": detail[:2048],
        "payload_base64": base64.b64encode(body).decode("ascii"),
        "schema_version": SCHEMA_VERSION,
    }


def hash_user_id(user_id: str, salt: str) -> str:
    return hmac.new(salt.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def is_pii_like(value: Any) -> bool:
    """A string that holds something like an e-mail address or a phone number."""
    return isinstance(value, str) and bool(EMAIL_LIKE.search(value) or PHONE_LIKE.search(value))


def scrub_value(value: Any) -> Any:
    """Drop e-mail- and phone-like strings from a props tree (dict entries and list items).

    An entry goes when its value or its key looks like one: `{"bob@example.com": 1}`
    carries the address as surely as `{"contact": "bob@example.com"}`.
    """
    if isinstance(value, dict):
        return {
            key: scrub_value(child)
            for key, child in value.items()
            if not (is_pii_like(key) or is_pii_like(child))
        }
    if isinstance(value, list):
        return [scrub_value(child) for child in value if not is_pii_like(child)]
    return value


def scrub_url(url: str) -> str:
    """Remove query parameters whose value looks like an e-mail address or phone number."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in pairs if not is_pii_like(value)]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


@lru_cache(maxsize=4096)
def parse_user_agent(user_agent: str | None) -> dict[str, Any]:
    """Browser, OS, device type and a bot flag from the User-Agent header."""
    if not user_agent:
        return {"device_type": "other", "is_bot": True}
    parsed = parse_ua(user_agent[:1024])
    device_family = parsed.device.family if parsed.device else None
    is_bot = device_family == "Spider" or bool(BOT_LIKE.search(user_agent))
    if is_bot:
        device_type = "bot"
    elif TABLET_LIKE.search(user_agent):
        device_type = "tablet"
    elif MOBILE_LIKE.search(user_agent):
        device_type = "mobile"
    else:
        device_type = "desktop"
    record: dict[str, Any] = {
        "user_agent": user_agent[:1024],
        "device_type": device_type,
        "is_bot": is_bot,
    }
    if parsed.user_agent:
        record["browser"] = parsed.user_agent.family
    if parsed.os:
        record["os"] = parsed.os.family
    return record
