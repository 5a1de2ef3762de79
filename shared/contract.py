"""Event contract v1 (SPEC §3): what a client may send and what the lake holds.

`ClientEvent` is what the browser SDK sends. `LakeEvent` is a client event after the
ingest API enriched and scrubbed it: one line of a `raw/` object. `InvalidRecord` is one
line of an `invalid/` object: an event the ingest API refused, with the reason.

The JSON Schema exported from these models is committed in `shared/schemas/`
(`clickstream schema export` rewrites it; a test keeps it current).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

SCHEMA_VERSION = "1-0-0"

EventType = Literal[
    "view", "click", "search", "add_to_cart", "remove_from_cart", "checkout", "purchase"
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]

DeviceType = Literal["mobile", "desktop", "tablet"]


class RejectReason(StrEnum):
    """Why an event or a line did not land in `raw.events`. Shared by ingest and loader."""

    # ingest API (written to invalid/ with the payload)
    SIZE = "size"  # one event over the per-event byte limit
    DEPTH = "depth"  # JSON nesting deeper than allowed
    ENCODING = "encoding"  # NUL character, lone surrogate or invalid UTF-8
    SCHEMA = "schema"  # does not match the contract
    NOT_OBJECT = "not_object"  # a batch element (or a line) that is not a JSON object
    UNPARSEABLE = "unparseable"  # request body is not JSON
    TOO_MANY_EVENTS = "too_many_events"  # batch over the per-request event limit
    # loader (lines of lake objects)
    INVALID_JSON = "invalid_json"
    TOO_LARGE = "too_large"
    EMPTY_LINE = "empty_line"
    INVALID_RECORD = "invalid_record"  # a line under invalid/ without the expected shape


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


HttpUrlText = Annotated[str, Field(max_length=4096), AfterValidator(_http_url)]
Id = Annotated[str, Field(min_length=1, max_length=128)]
ShortText = Annotated[str, Field(max_length=256)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=True)


class Device(Strict):
    type: DeviceType | None = None


class Geo(Strict):
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 country code"
    )
    city: ShortText | None = None


class Ecom(Strict):
    product_id: Id | None = None
    product_name: ShortText | None = None
    category: ShortText | None = None
    brand: ShortText | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = Field(
        default=None, description="ISO 4217 currency code"
    )
    price: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    qty: Annotated[int, Field(ge=1, le=10_000)] | None = None
    order_id: Id | None = None


# Which ecom fields each event type must carry (SPEC §3 conventions that revenue relies on).
REQUIRED_ECOM: dict[str, tuple[str, ...]] = {
    "add_to_cart": ("product_id",),
    "remove_from_cart": ("product_id",),
    "purchase": ("order_id", "product_id", "price", "qty"),
}


class ClientEvent(Strict):
    """One event as the browser SDK sends it."""

    event_id: UUID
    ts: AwareDatetime = Field(description="client clock when the event happened, with offset")
    event_type: EventType
    session_id: Id
    anonymous_id: Id
    page_url: HttpUrlText
    sent_at: AwareDatetime | None = Field(
        default=None, description="client clock when the batch was sent (skew correction)"
    )
    user_id: Id | None = None
    referrer: Annotated[str, Field(max_length=4096)] | None = None
    page_title: Annotated[str, Field(max_length=1024)] | None = None
    device: Device | None = None
    geo: Geo | None = None
    ecom: Ecom | None = None
    props: dict[str, Any] | None = Field(
        default=None, description="free-form, small: search_query, results_count, list, items…"
    )

    @model_validator(mode="after")
    def _type_conventions(self) -> ClientEvent:
        missing = [
            name
            for name in REQUIRED_ECOM.get(self.event_type, ())
            if self.ecom is None or getattr(self.ecom, name) is None
        ]
        if missing:
            fields = ", ".join(f"ecom.{name}" for name in missing)
            raise ValueError(f"a {self.event_type} event needs {fields}")
        if self.event_type == "search" and not (self.props or {}).get("search_query"):
            raise ValueError("a search event needs props.search_query")
        return self


class UserAgent(Strict):
    user_agent: Annotated[str, Field(max_length=1024)] | None = None
    browser: str | None = None
    os: str | None = None
    device_type: Literal["mobile", "desktop", "tablet", "bot", "other"] = "other"
    is_bot: bool = False


class LakeEvent(ClientEvent):
    """One line of a raw/ object: a client event plus server enrichment, PII scrubbed."""

    user_id: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None, description="HMAC-SHA256 of the client's user_id with the server salt"
    )
    received_at: AwareDatetime
    request_id: Id
    ua: UserAgent
    ts_corrected: AwareDatetime | None = Field(
        default=None, description="received_at - (sent_at - ts), when sent_at was sent"
    )
    schema_version: Literal["1-0-0"] = SCHEMA_VERSION


class InvalidRecord(Strict):
    """One line of an invalid/ object: an event (or a whole body) the ingest API refused."""

    received_at: AwareDatetime
    request_id: Id
    reason: RejectReason
    detail: str = Field(max_length=2048)
    event_index: int | None = Field(default=None, description="position in the batch")
    payload: Any = Field(default=None, description="the refused event, when it is clean JSON")
    payload_base64: str | None = Field(
        default=None, description="the refused bytes, when they cannot be stored as JSON text"
    )
    schema_version: Literal["1-0-0"] = SCHEMA_VERSION


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each failing field, for rejection reasons a person can act on."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"]) or "event"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)[:2048]


def json_schemas() -> dict[str, dict[str, Any]]:
    return {
        "client-event": ClientEvent.model_json_schema(),
        "lake-event": LakeEvent.model_json_schema(),
        "invalid-record": InvalidRecord.model_json_schema(),
    }


def render_json_schema(name: str) -> str:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"clickstream/{name}/{SCHEMA_VERSION}",
        **json_schemas()[name],
    }
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def utc_iso(moment: datetime) -> str:
    """The lake's timestamp format: UTC, microseconds, trailing Z."""
    # isoformat is about three times faster than strftime, and this runs for every event.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
