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
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
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
# What every phone-like match contains; a pattern starting with a plain \d is searched
# several times faster, so it rules most text out before PHONE_LIKE runs.
PHONE_HINT = re.compile(r"\d[\d\s().\-]{7,}\d")
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
    received_at = utc_iso(context.received_at)  # the same for every event of the request
    for index, item in enumerate(items):
        event_id = item.get("event_id") if isinstance(item, dict) else None
        event_id = event_id if isinstance(event_id, str) else None
        problem = find_problem(item, limits)
        if problem is None:
            try:
                event = ClientEvent.model_validate(item)
                times = lake_times(event, context.received_at)
            except ValidationError as error:
                problem = (RejectReason.SCHEMA, describe_validation_error(error))
            except TimeOutOfRangeError as error:
                problem = (RejectReason.SCHEMA, str(error))
        if problem is None:
            record = enrich(event, context, settings, times, received_at)
            result.lake_events.append(record)
            result.outcomes.append(EventOutcome(index, record["event_id"], accepted=True))
            continue
        reason, detail = problem
        result.invalid_records.append(invalid_record(item, reason, detail, context, index))
        result.outcomes.append(EventOutcome(index, event_id, False, reason, detail))
    return result


def find_problem(item: Any, limits: IngestLimits) -> tuple[RejectReason, str] | None:
    """The first limit or encoding rule the item breaks, checked before the schema."""
    if not isinstance(item, dict):
        return RejectReason.NOT_OBJECT, f"expected a JSON object, got {json_type(item)}"
    shape = scan(item)
    if shape.depth > limits.max_depth:
        return RejectReason.DEPTH, f"nesting depth {shape.depth} exceeds {limits.max_depth}"
    size, clean = serialized_size(item, shape)
    if size > limits.max_event_bytes:
        return RejectReason.SIZE, f"event is {size} bytes, over the {limits.max_event_bytes} limit"
    if clean:
        return None
    encoding_problem = find_encoding_problem(item)
    if encoding_problem:
        return RejectReason.ENCODING, encoding_problem
    return None


def json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


JSON_SCALAR_TYPES = frozenset({str, int, bool, type(None)})


@dataclass
class Shape:
    depth: int = 0
    floats: list[float] = field(default_factory=list)
    # Something other than the plain types a JSON parser makes (a Python caller's own).
    unusual: bool = False


def scan(value: Any) -> Shape:
    """Depth of nested objects/arrays (a flat object is 1), and the floats in them.
    Iterative, one level at a time: input is hostile."""
    shape = Shape(unusual=type(value) not in (dict, list))
    level = [value] if isinstance(value, dict | list) else []
    while level:
        shape.depth += 1
        below: list[Any] = []
        for node in level:
            for child in node.values() if isinstance(node, dict) else node:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
                elif kind is float:
                    shape.floats.append(child)
                elif kind not in JSON_SCALAR_TYPES:
                    shape.unusual = True
                    if isinstance(child, dict | list):
                        below.append(child)
        level = below
    return shape


def serialized_size(item: dict, shape: Shape) -> tuple[int, bool]:
    """(bytes of the item as compact UTF-8 JSON, whether no string holds NUL or a surrogate).

    The size is the standard library's `json.dumps(ensure_ascii=False)`, the limit's
    definition. orjson writes the same bytes ten times faster but for floats (1e-05 is
    0.00001 there), so it measures and the floats' difference is added; what orjson
    refuses (lone surrogates, integers beyond 64 bits, non-string keys) or a Python
    caller's own types take the standard library's path.
    """
    if not shape.unusual:
        try:
            data = orjson.dumps(item)
        except orjson.JSONEncodeError:
            pass
        else:
            # orjson escapes every NUL as \u0000 and refuses lone surrogates.
            return len(data) + sum(map(float_text_excess, shape.floats)), b"\\u0000" not in data
    text = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    try:
        return len(text.encode("utf-8")), "\\u0000" not in text
    except UnicodeEncodeError:  # a lone surrogate, which the text holds as it is
        return len(text.encode("utf-8", "surrogatepass")), False


def float_text_excess(number: float) -> int:
    """How much longer `json.dumps` writes a float than orjson does (may be negative)."""
    if math.isnan(number):
        python = "NaN"
    elif math.isinf(number):
        python = "Infinity" if number > 0 else "-Infinity"
    else:
        python = float.__repr__(number)
    return len(python) - len(orjson.dumps(number))


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


class TimeOutOfRangeError(ValueError):
    """A client time (or its skew correction) falls outside what a timestamp can hold."""


def lake_times(event: ClientEvent, received_at: datetime) -> dict[str, str]:
    """`ts`, and with `sent_at` also `ts_corrected`, as lake timestamps (UTC, years 1-9999)."""
    times = {"ts": lake_time(event.ts, "ts")}
    if event.sent_at is not None:
        times["sent_at"] = lake_time(event.sent_at, "sent_at")
        try:
            corrected = received_at - (event.sent_at - event.ts)
        except OverflowError:
            corrected = None
        times["ts_corrected"] = lake_time(corrected, "ts_corrected")
    return times


def lake_time(moment: datetime | None, name: str) -> str:
    """`utc_iso(moment)`; None stands for a time that already overflowed."""
    if moment is not None:
        try:
            return utc_iso(moment)
        except OverflowError:
            pass
    raise TimeOutOfRangeError(
        f"{name}: out of the range of timestamps (years 1 to 9999 in UTC); "
        "the client's clock is wrong"
    )


def enrich(
    event: ClientEvent,
    context: RequestContext,
    settings: EnrichmentSettings,
    times: dict[str, str],
    received_at: str,
) -> dict:
    """The lake record for a valid event: server fields added, PII removed.

    `times` are the event's `lake_times`; `received_at` is the request's, formatted.
    """
    record = event.model_dump(mode="json", exclude_none=True)
    record.update(times)
    if event.user_id is not None:
        record["user_id"] = hash_user_id(event.user_id, settings.user_id_salt)
    record["page_url"] = scrub_url(event.page_url)
    if event.referrer is not None:
        record["referrer"] = scrub_url(event.referrer)
    if event.props is not None:
        record["props"] = scrub_props(event.props, record["props"])
    if context.viewer_country:
        record["geo"] = {**record.get("geo", {}), "country": context.viewer_country.upper()}
    record["received_at"] = received_at
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
    if not isinstance(value, str):
        return False
    if "@" in value and EMAIL_LIKE.search(value):
        return True
    return bool(PHONE_HINT.search(value) and PHONE_LIKE.search(value))


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


def scrub_props(props: dict[str, Any], copy: dict[str, Any]) -> dict[str, Any]:
    """`scrub_value(props)`; `copy` (an equal copy of `props`) when nothing needs to go.

    Most props hold nothing personal, and one search over their JSON text says so: a
    string's characters appear there as they are unless JSON escapes one of them (then
    the text holds a backslash), between quotes that no pattern matches across.
    """
    try:
        text = orjson.dumps(props).decode()
    except (orjson.JSONEncodeError, TypeError):
        text = "\\"
    if "\\" not in text and not is_pii_like(text):
        return copy
    return scrub_value(props)


def scrub_url(url: str) -> str:
    """Remove query parameters whose value looks like an e-mail address or phone number."""
    after = url.partition("?")[2]
    if not after or (not any(char in after for char in "%+\t\r\n") and not is_pii_like(after)):
        # No query, or one where every value is a piece of this text as it is (nothing to
        # decode), and no match in the whole text means none in a value: the patterns
        # cross none of "=", "&" and "#".
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[": the query cannot be told apart, so it goes whole
        return url.partition("?")[0]
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
