"""The ingest core (ingest.core.IngestService) on a real local lake, without HTTP.

Expected lake records are written out by hand; hashes are computed here with hmac.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from ingest.config import IngestConfig
from ingest.core import HttpRequest, IngestService
from shared.settings import ConfigError, IngestLimits
from tests.ingest.conftest import (
    CHROME_ON_WINDOWS,
    RECEIVED_AT,
    TEST_SALT,
    Client,
    batch,
    json_body,
    lake_bytes,
    local_config,
    make_event,
    read_area,
    records,
)


def client_with(lake: Path, **overrides: object) -> Client:
    return Client(IngestService.from_config(local_config(lake, **overrides)))


def test_a_valid_event_lands_enriched_in_one_raw_object(client: Client, lake: Path) -> None:
    event = make_event(sent_at="2026-11-23T17:15:20+07:00", referrer="https://www.google.com/")
    response = client.post(json.dumps(event).encode())

    assert response.status == 202
    answer = json_body(response)
    request_id = response.headers["x-request-id"]
    assert answer == {
        "accepted": 1,
        "rejected": 0,
        "request_id": request_id,
        "results": [
            {
                "index": 0,
                "event_id": event["event_id"],
                "status": "accepted",
                "reason": None,
                "detail": None,
            }
        ],
    }
    [(key, [record])] = read_area(lake, "raw")
    assert key.startswith("raw/year=2026/month=11/day=23/hour=10/events-20261123T101530250000Z-")
    assert read_area(lake, "invalid") == []
    assert record == {
        "event_id": event["event_id"],
        "ts": "2026-11-23T10:15:00.000000Z",  # 17:15 at +07:00, in UTC
        "sent_at": "2026-11-23T10:15:20.000000Z",
        # The client clock ran 20 s between the event and the send: received_at − 20 s.
        "ts_corrected": "2026-11-23T10:15:10.250000Z",
        "event_type": "view",
        "session_id": "s-1",
        "anonymous_id": "a-1",
        "page_url": "https://shop.example/laptops",
        "referrer": "https://www.google.com/",
        "received_at": "2026-11-23T10:15:30.250000Z",
        "request_id": request_id,
        "ua": {
            "user_agent": CHROME_ON_WINDOWS,
            "browser": "Chrome",
            "os": "Windows",
            "device_type": "desktop",
            "is_bot": False,
        },
        "schema_version": "1-0-0",
    }


def test_a_batch_as_text_plain_from_sendbeacon_is_accepted(client: Client, lake: Path) -> None:
    events = [make_event(), make_event(event_type="click")]
    response = client.post(batch(*events), content_type="text/plain;charset=UTF-8")

    assert response.status == 202
    assert json_body(response)["accepted"] == 2
    [(_, stored)] = read_area(lake, "raw")
    assert [record["event_id"] for record in stored] == [event["event_id"] for event in events]


def test_events_without_sent_at_get_no_corrected_time(client: Client, lake: Path) -> None:
    client.post(json.dumps(make_event()).encode())
    [record] = records(lake, "raw")
    assert "ts_corrected" not in record
    assert "sent_at" not in record


@pytest.mark.parametrize(
    ("ts", "sent_at", "ts_corrected"),
    [
        # The client clock is two hours behind: the event happened 5 s before arrival.
        ("2026-11-23T08:15:20Z", "2026-11-23T08:15:25Z", "2026-11-23T10:15:25.250000Z"),
        # A day ahead, in another offset: 1.5 s between the event and the send.
        ("2026-11-24T19:15:00+09:00", "2026-11-24T19:15:01.5+09:00", "2026-11-23T10:15:28.750000Z"),
    ],
)
def test_skewed_client_clocks_are_corrected_from_the_send_time(
    client: Client, lake: Path, ts: str, sent_at: str, ts_corrected: str
) -> None:
    client.post(json.dumps(make_event(ts=ts, sent_at=sent_at)).encode())
    [record] = records(lake, "raw")
    assert record["ts_corrected"] == ts_corrected  # RECEIVED_AT is 10:15:30.25 UTC


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"ts": "9999-12-31T23:59:59-12:00"}, "ts"),  # year 10000 in UTC
        ({"ts": "2026-11-23T10:00:00Z", "sent_at": "9999-12-31T23:59:59-12:00"}, "sent_at"),
        # Each time is fine, but received_at - (sent_at - ts) is before year 1.
        ({"ts": "0001-01-01T00:00:00Z", "sent_at": "9999-12-31T00:00:00Z"}, "ts_corrected"),
    ],
)
def test_times_beyond_what_a_timestamp_holds_refuse_the_event(
    client: Client, lake: Path, times: dict, field: str
) -> None:
    good = make_event()
    response = client.post(batch(good, make_event(**times)))

    assert response.status == 202
    result = json_body(response)["results"][1]
    assert result["reason"] == "schema"
    assert result["detail"].startswith(f"{field}: out of the range of timestamps")
    assert [record["event_id"] for record in records(lake, "raw")] == [good["event_id"]]


def test_an_ancient_client_clock_still_gives_iso_timestamps(client: Client, lake: Path) -> None:
    event = make_event(ts="0005-06-07T08:09:10+00:00", sent_at="0005-06-07T08:09:12+00:00")
    assert client.post(json.dumps(event).encode()).status == 202
    [record] = records(lake, "raw")
    assert record["ts"] == "0005-06-07T08:09:10.000000Z"  # four-digit year: valid ISO 8601
    assert record["ts_corrected"] == "2026-11-23T10:15:28.250000Z"


@pytest.mark.parametrize(
    ("referrer", "stored"),
    [
        ("http://[", "http://["),
        ("http://[?email=bob%40example.com&step=2", "http://["),  # unsplittable: query goes
    ],
)
def test_a_referrer_that_is_no_url_is_kept_without_its_query(
    client: Client, lake: Path, referrer: str, stored: str
) -> None:
    assert client.post(json.dumps(make_event(referrer=referrer)).encode()).status == 202
    [record] = records(lake, "raw")
    assert record["referrer"] == stored


@pytest.mark.parametrize(
    "server_field",
    [
        {"received_at": "2026-11-23T10:00:00Z"},
        {"request_id": "forged"},
        {"ts_corrected": "2026-11-23T10:00:00Z"},
        {"schema_version": "1-0-0"},
        {"ua": {"browser": "Chrome", "is_bot": False}},
    ],
    ids=lambda field: next(iter(field)),
)
def test_server_fields_sent_by_a_client_are_refused(
    client: Client, lake: Path, server_field: dict
) -> None:
    answer = json_body(client.post(json.dumps(make_event(**server_field)).encode()))
    [result] = answer["results"]
    assert (result["reason"], next(iter(server_field)) in result["detail"]) == ("schema", True)
    assert records(lake, "raw") == []


def test_pii_is_scrubbed_and_user_id_hashed_with_the_salt(client: Client, lake: Path) -> None:
    event = make_event(
        user_id="customer-42",
        page_url="https://shop.example/checkout?email=bob%40example.com&step=2&tel=0912345678",
        referrer="https://shop.example/cart?phone=%2B84%20912%20345%20678&coupon=XMAS",
        props={
            "search_query": "gaming laptop",
            "contact": "bob@example.com",
            "phone": "+84 912 345 678",
            "items": ["p-1", "jane.doe@mail.example", "p-2"],
            "results_count": 12,
        },
    )
    assert client.post(json.dumps(event).encode()).status == 202

    [record] = records(lake, "raw")
    expected_hash = hmac.new(TEST_SALT.encode(), b"customer-42", hashlib.sha256).hexdigest()
    assert record["user_id"] == expected_hash
    assert record["page_url"] == "https://shop.example/checkout?step=2"
    assert record["referrer"] == "https://shop.example/cart?coupon=XMAS"
    assert record["props"] == {
        "search_query": "gaming laptop",
        "items": ["p-1", "p-2"],
        "results_count": 12,
    }
    stored = lake_bytes(lake)
    for secret in (b"customer-42", b"bob", b"912", b"jane.doe"):
        assert secret not in stored


# Identifiers with long digit runs that a phone rule must not mistake for phone numbers.
IDENTIFIERS = [
    "550e8400-e29b-41d4-a716-446655440000",  # a UUID whose last group is all digits
    "ORD-20261123-0A1B2C3D4E",
    "SKU-123456789",
    "Cj0KCQiA123456789abc",  # a gclid
    "2026-11-23",
]
PHONE_NUMBERS = [
    "0912345678",
    "+84 912 345 678",
    "(+84) 912-345-678",
    "call 0912.345.678 after six",
]


def test_identifiers_with_long_digit_runs_are_not_taken_for_phone_numbers(
    client: Client, lake: Path
) -> None:
    query = "&".join(f"ref{n}={value}" for n, value in enumerate(IDENTIFIERS))
    props = {f"id{n}": value for n, value in enumerate(IDENTIFIERS)}
    event = make_event(
        page_url=f"https://shop.example/thank-you?{query}", props={**props, "items": IDENTIFIERS}
    )
    assert client.post(json.dumps(event).encode()).status == 202

    [record] = records(lake, "raw")
    assert record["page_url"] == event["page_url"]
    assert record["props"] == {**props, "items": IDENTIFIERS}


def test_phone_numbers_alone_or_in_text_are_removed(client: Client, lake: Path) -> None:
    query = "&".join(f"p{n}={quote(value)}" for n, value in enumerate(PHONE_NUMBERS))
    props = {f"p{n}": value for n, value in enumerate(PHONE_NUMBERS)}
    event = make_event(
        page_url=f"https://shop.example/contact?{query}&step=2",
        props={**props, "kept": "ok", "items": [*PHONE_NUMBERS, "p-1"]},
    )
    assert client.post(json.dumps(event).encode()).status == 202

    [record] = records(lake, "raw")
    assert record["page_url"] == "https://shop.example/contact?step=2"
    assert record["props"] == {"kept": "ok", "items": ["p-1"]}


def test_a_props_entry_keyed_by_an_email_address_is_dropped(client: Client, lake: Path) -> None:
    event = make_event(
        props={"bob@example.com": True, "list": "home", "seen": {"+84 912 345 678": 1, "n": 2}}
    )
    assert client.post(json.dumps(event).encode()).status == 202

    [record] = records(lake, "raw")
    assert record["props"] == {"list": "home", "seen": {"n": 2}}
    assert b"bob@" not in lake_bytes(lake)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("VN", "VN"), ("de", "DE"), ("XYZ", None), ("1A", None), ("", None)],
)
def test_country_comes_from_cloudfront_only_when_it_is_a_country_code(
    lake: Path, header: str, expected: str | None
) -> None:
    client = client_with(lake)
    event = make_event(geo={"country": "US", "city": "Hanoi"})
    client.post(json.dumps(event).encode(), headers={"CloudFront-Viewer-Country": header})
    [record] = records(lake, "raw")
    # The server's view wins over the client's claim; without it the client's stays.
    assert record["geo"] == {"country": expected or "US", "city": "Hanoi"}


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            {"device_type": "bot", "is_bot": True, "browser": "Googlebot"},
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            {"device_type": "tablet", "is_bot": False, "browser": "Mobile Safari", "os": "iOS"},
        ),
        ("", {"device_type": "other", "is_bot": True}),
    ],
)
def test_user_agent_is_parsed_with_a_bot_flag(
    client: Client, lake: Path, user_agent: str, expected: dict
) -> None:
    client.post(json.dumps(make_event()).encode(), headers={"User-Agent": user_agent})
    [record] = records(lake, "raw")
    ua = dict(record["ua"])
    ua.pop("user_agent", None)
    assert ua == expected


def nested(levels: int) -> dict:
    """A props value that makes the event `levels + 1` deep (the event itself is level 1)."""
    value: dict = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"next": value}
    return value


@pytest.mark.parametrize(
    ("bad_event", "reason", "detail_mentions"),
    [
        (make_event(event_type="hover"), "schema", "event_type"),
        (make_event(page_url="javascript:alert(1)"), "schema", "page_url"),
        (make_event(event_type="purchase", ecom={"product_id": "p"}), "schema", "order_id"),
        (42, "not_object", "number"),
        (["an", "array"], "not_object", "array"),
        (make_event(props={"blob": "x" * 33_000}), "size", "32768"),
        (make_event(props=nested(10)), "depth", "11"),
        (make_event(props={"note": "a\u0000b"}), "encoding", "NUL"),
    ],
)
def test_each_rejection_reason_goes_to_invalid_with_the_event(
    client: Client, lake: Path, bad_event: object, reason: str, detail_mentions: str
) -> None:
    good = make_event()
    response = client.post(batch(good, bad_event))

    assert response.status == 202
    answer = json_body(response)
    assert (answer["accepted"], answer["rejected"]) == (1, 1)
    result = answer["results"][1]
    assert (result["index"], result["status"], result["reason"]) == (1, "rejected", reason)
    assert detail_mentions in result["detail"]
    assert [record["event_id"] for record in records(lake, "raw")] == [good["event_id"]]
    [invalid] = records(lake, "invalid")
    assert invalid["reason"] == reason
    assert invalid["event_index"] == 1
    assert invalid["request_id"] == response.headers["x-request-id"]
    if reason == "encoding":
        # Postgres refuses NUL in text: the payload is kept only as base64 of its JSON.
        assert "payload" not in invalid
        assert json.loads(base64.b64decode(invalid["payload_base64"])) == bad_event
    else:
        assert invalid["payload"] == bad_event


def test_depth_and_size_limits_are_inclusive(lake: Path) -> None:
    client = client_with(lake)
    at_depth_limit = make_event(props=nested(9))  # 10 levels
    response = client.post(batch(at_depth_limit))
    assert json_body(response)["accepted"] == 1

    filler = make_event(props={"note": ""})
    base_size = len(json.dumps(filler, ensure_ascii=False, separators=(",", ":")).encode())
    at_size_limit = make_event(props={"note": "é" * ((32_768 - base_size) // 2)})
    size = len(json.dumps(at_size_limit, ensure_ascii=False, separators=(",", ":")).encode())
    assert size in (32_767, 32_768)
    over_size_limit = make_event(props={"note": "é" * ((32_768 - base_size) // 2) + "xx"})
    answer = json_body(client.post(batch(at_size_limit, over_size_limit)))
    assert [result["reason"] for result in answer["results"]] == [None, "size"]


def compact_size(event: dict) -> int:
    """The limit's definition: bytes of the event as compact UTF-8 JSON (standard library)."""
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())


# Floats whose shortest text differs between JSON writers (1e-05 or 0.00001, 1e+16 or 1e16).
FLOATS = [1e-05, 1.5e-07, 1e16, 2.5e300, -1e-300, 123.25, 0.1]


@pytest.mark.parametrize("extra", [0, 1])
def test_the_size_limit_is_exact_for_events_full_of_floats(lake: Path, extra: int) -> None:
    client = client_with(lake)
    event = make_event(props={"floats": FLOATS * 20, "note": ""}, ecom={"price": 1e-05})
    event["props"]["note"] = "n" * (32_768 - compact_size(event) + extra)
    assert compact_size(event) == 32_768 + extra

    [result] = json_body(client.post(batch(event)))["results"]

    if extra:
        assert (result["reason"], result["detail"]) == (
            "size",
            "event is 32769 bytes, over the 32768 limit",
        )
    else:
        assert result["reason"] is None
        [record] = records(lake, "raw")
        assert record["props"]["floats"] == FLOATS * 20


def test_a_lone_surrogate_refuses_only_its_event(client: Client, lake: Path) -> None:
    good = make_event()
    bad = make_event(page_title="PLACEHOLDER")
    body = batch(good, bad).replace(b"PLACEHOLDER", b"\\ud800 alone")

    answer = json_body(client.post(body))

    assert [result["reason"] for result in answer["results"]] == [None, "encoding"]
    [invalid] = records(lake, "invalid")
    assert "surrogate" in invalid["detail"]
    assert "payload" not in invalid
    decoded = base64.b64decode(invalid["payload_base64"])
    assert b"\xed\xa0\x80 alone" in decoded  # the surrogate's bytes, kept for the record
    assert b"\xed\xa0\x80" not in b"".join(
        json.dumps(record).encode() for record in records(lake, "raw")
    )


UNICODE_CORPUS = [
    "🛒 giỏ hàng",  # emoji + Vietnamese
    "👩🏽‍💻 ZWJ sequence",
    "مرحبا بالعالم",  # Arabic, right to left
    "שלום עולם",  # Hebrew, right to left
    "\u202eRTL override\u202c",
    "e\u0301 combining accent",
    "𝕏 astral plane",
    "中文 日本語 한국어",
    "\ufeff BOM inside text",
    "line\u2028separator\u0085next line",  # line breaks to str.splitlines, not to NDJSON
]


@pytest.mark.parametrize("ascii_escaped", [False, True], ids=["utf8", "escaped"])
def test_unicode_reaches_the_lake_byte_exact(
    client: Client, lake: Path, ascii_escaped: bool
) -> None:
    events = [make_event(page_title=text, props={"search_query": text}) for text in UNICODE_CORPUS]
    body = json.dumps({"events": events}, ensure_ascii=ascii_escaped).encode("utf-8")

    answer = json_body(client.post(body))

    assert answer["accepted"] == len(UNICODE_CORPUS)
    stored = records(lake, "raw")
    assert [record["page_title"] for record in stored] == UNICODE_CORPUS
    assert [record["props"]["search_query"] for record in stored] == UNICODE_CORPUS
    raw_text = lake_bytes(lake)
    for text in UNICODE_CORPUS:
        assert text.encode("utf-8") in raw_text  # stored as UTF-8, not as \u escapes


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"this is not json", "unparseable"),
        (b'{"events": [{"page_title": "caf\xe9"}]}', "encoding"),  # Latin-1, not UTF-8
        (b"\xff\xfe{}", "encoding"),
        (b'{"page_title": "\xed\xa0\x80"}', "encoding"),  # a surrogate encoded as UTF-8
        (b'{"event_type": "view", "qty": NaN}', "unparseable"),
        (b'{"a": 1e999}', "unparseable"),
        (b"[" * 100_000 + b"]" * 100_000, "depth"),  # blows any recursive parser
        (b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, "depth"),
        (b"[1, 2, 3]", "not_object"),
        (b'"just a string"', "not_object"),
        (b'{"events": {"not": "an array"}}', "not_object"),
        (b'{"events": [], }', "unparseable"),
        (b'{"events": []}', "not_object"),
        (b'{"events": [{}], "sent_at": "2026-11-23T10:00:00Z"}', "not_object"),
        (b"", "unparseable"),
    ],
)
def test_a_body_that_cannot_be_split_is_refused_and_kept_whole(
    client: Client, lake: Path, body: bytes, reason: str
) -> None:
    response = client.post(body)

    assert response.status == 400
    answer = json_body(response)
    assert answer["error"] == reason
    assert answer["request_id"] == response.headers["x-request-id"]
    assert records(lake, "raw") == []
    [invalid] = records(lake, "invalid")
    assert invalid["reason"] == reason
    assert base64.b64decode(invalid["payload_base64"]) == body
    assert invalid["request_id"] == response.headers["x-request-id"]


def test_an_event_nested_deeper_than_json_lines_can_hold_refuses_the_body(
    client: Client, lake: Path
) -> None:
    body = batch(make_event(), make_event(props=nested(300)))
    response = client.post(body)
    assert response.status == 400
    assert json_body(response)["error"] == "depth"
    assert records(lake, "raw") == []
    [invalid] = records(lake, "invalid")
    assert base64.b64decode(invalid["payload_base64"]) == body


def test_numbers_beyond_64_bits_are_stored_as_floats_on_both_parse_paths(
    client: Client, lake: Path
) -> None:
    big = b"123456789012345678901234567890"
    good = batch(make_event(props={"n": 1})).replace(b'"n": 1', b'"n": ' + big)
    # The lone surrogate sends the body through the fallback parser.
    mixed = batch(make_event(props={"n": 1}), make_event(page_title="X")).replace(
        b'"n": 1', b'"n": ' + big
    )
    mixed = mixed.replace(b'"page_title": "X"', b'"page_title": "\\udfff"')
    assert json_body(client.post(good))["accepted"] == 1
    assert json_body(client.post(mixed))["accepted"] == 1
    assert [record["props"]["n"] for record in records(lake, "raw")] == [1.2345678901234568e29] * 2


def test_batch_limit_refuses_the_whole_batch(lake: Path) -> None:
    limits = IngestLimits(max_events=3)
    client = client_with(lake, limits=limits)
    assert client.post(batch(*[make_event() for _ in range(3)])).status == 202

    too_many = batch(*[make_event() for _ in range(4)])
    response = client.post(too_many)

    assert response.status == 400
    assert json_body(response)["error"] == "too_many_events"
    assert "4 events" in json_body(response)["detail"]
    assert len(records(lake, "raw")) == 3  # only the first request's events
    [invalid] = records(lake, "invalid")
    assert invalid["reason"] == "too_many_events"
    assert base64.b64decode(invalid["payload_base64"]) == too_many


def test_body_limit_is_inclusive_and_an_oversized_body_is_not_stored(lake: Path) -> None:
    client = client_with(lake, limits=IngestLimits(max_body_bytes=2048))
    event = make_event(props={"note": ""})
    padding = 2048 - len(json.dumps(event).encode())
    exact = json.dumps(make_event(props={"note": "p" * padding})).encode()
    assert len(exact) == 2048

    assert client.post(exact).status == 202
    response = client.post(exact[:-1] + b" }")

    assert response.status == 413
    assert response.headers["connection"] == "close"
    assert json_body(response)["error"] == "body_too_large"
    assert len(records(lake, "raw")) == 1
    assert records(lake, "invalid") == []


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("GET", "/v1/events", 405, "POST, OPTIONS"),
        ("PUT", "/v1/events", 405, "POST, OPTIONS"),
        ("DELETE", "/v1/events", 405, "POST, OPTIONS"),
        ("POST", "/healthz", 405, "GET"),
        ("POST", "/v1/event", 404, None),
        ("GET", "/", 404, None),
    ],
)
def test_wrong_method_or_path(
    client: Client, lake: Path, method: str, path: str, status: int, allow: str | None
) -> None:
    response = client.post(json.dumps(make_event()).encode(), method=method, path=path)
    assert response.status == status
    assert response.headers.get("allow") == allow
    assert not lake.exists() or list(lake.rglob("*.gz")) == []


@pytest.mark.parametrize(
    "content_type", ["", "text/html", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_other_content_types_are_refused(client: Client, lake: Path, content_type: str) -> None:
    response = client.post(json.dumps(make_event()).encode(), content_type=content_type)
    assert response.status == 415
    assert "application/json or text/plain" in json_body(response)["detail"]
    assert not lake.exists() or list(lake.rglob("*.gz")) == []


def test_health(client: Client) -> None:
    response = client.post(b"", method="GET", path="/healthz")
    assert (response.status, json_body(response)) == (200, {"status": "ok"})


def test_write_keys_when_configured(lake: Path) -> None:
    client = client_with(lake, write_keys=("key-one", "key-two"))
    body = json.dumps(make_event()).encode()

    refused = client.post(body)
    assert refused.status == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert client.post(body, headers={"x-api-key": "key-three"}).status == 401
    assert client.post(body, query={"writeKey": "key-on"}).status == 401
    assert not lake.exists() or list(lake.rglob("*.gz")) == []

    assert client.post(body, headers={"x-api-key": "key-two"}).status == 202
    assert client.post(body, query={"writeKey": "key-one"}).status == 202
    assert len(records(lake, "raw")) == 2


def test_a_jwt_verified_by_api_gateway_stands_in_for_a_write_key(lake: Path) -> None:
    service = IngestService.from_config(local_config(lake, write_keys=("key-one",)))
    request = Client(service)
    body = json.dumps(make_event()).encode()
    unverified = request.post(body, headers={"authorization": "Bearer eyJhbGciOi.fake.token"})
    assert unverified.status == 401  # a bearer token alone proves nothing locally

    verified = service.handle(
        HttpRequest(
            method="POST",
            path="/v1/events",
            headers={"content-type": "application/json"},
            query={},
            body=body,
            request_id="req-jwt",
            received_at=RECEIVED_AT,
            jwt_claims={"sub": "user-1", "token_use": "id"},
        )
    )
    assert verified.status == 202


def test_lake_refusing_invalid_objects_gives_503_and_keeps_what_was_stored(lake: Path) -> None:
    # A file where the invalid/ folder should be: every write under it fails.
    lake.mkdir(parents=True)
    (lake / "invalid").write_text("not a folder")
    client = client_with(lake)
    good = make_event()

    response = client.post(batch(good, make_event(event_type="hover")))

    assert response.status == 503
    assert response.headers["retry-after"] == "10"
    assert json_body(response)["error"] == "storage_unavailable"
    # Refused events are written first, so nothing from this request reached raw/ either;
    # the retry will store both.
    assert records(lake, "raw") == []


def test_lake_refusing_every_write_gives_503_also_for_bad_bodies(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.write_text("a file, not a folder")
    client = client_with(lake)

    assert client.post(json.dumps(make_event()).encode()).status == 503
    unparseable = client.post(b"{not json")
    # Nothing could record the bad body, so it is not answered as handled either.
    assert unparseable.status == 503
    assert unparseable.headers["retry-after"] == "10"


def test_invalid_record_payload_keeps_the_unicode_it_was_sent(client: Client, lake: Path) -> None:
    bad = make_event(event_type="hover", page_title="🛒 مرحبا")
    client.post(batch(bad))
    [invalid] = records(lake, "invalid")
    assert invalid["payload"]["page_title"] == "🛒 مرحبا"
    assert "🛒 مرحبا".encode() in lake_bytes(lake)


def test_config_from_env_reads_origins_keys_and_limits(
    lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INGEST_ALLOWED_ORIGINS", "https://Shop.Example/, http://localhost:3000")
    monkeypatch.setenv("INGEST_WRITE_KEYS", "k1,k2")
    monkeypatch.setenv("INGEST_MAX_EVENTS", "7")
    config = IngestConfig.from_env(lake_url=str(lake))
    assert config.allowed_origins == ("https://shop.example", "http://localhost:3000")
    assert config.write_keys == ("k1", "k2")
    assert "k1" not in repr(config)
    assert config.limits.max_events == 7

    monkeypatch.setenv("INGEST_ALLOWED_ORIGINS", "shop.example")
    with pytest.raises(ConfigError, match="INGEST_ALLOWED_ORIGINS"):
        IngestConfig.from_env(lake_url=str(lake))


def test_object_names_sort_in_the_order_requests_were_received(client: Client, lake: Path) -> None:
    moments = [
        RECEIVED_AT.replace(second=second, microsecond=micro)
        for second, micro in [(31, 5), (30, 999_999), (31, 4), (59, 0), (30, 250_001)]
    ]
    for moment in moments:
        client.post(
            json.dumps(make_event(page_title=moment.isoformat())).encode(), received_at=moment
        )
    keys = [key for key, _ in read_area(lake, "raw")]  # sorted by key, as S3 lists them
    titles = [found[0]["page_title"] for _, found in read_area(lake, "raw")]
    assert titles == [moment.isoformat() for moment in sorted(moments)]
    assert len(set(keys)) == len(moments)


def test_received_at_partitions_the_object_key(client: Client, lake: Path) -> None:
    client.post(json.dumps(make_event()).encode(), received_at=RECEIVED_AT.replace(hour=23))
    [(key, _)] = read_area(lake, "raw")
    assert key.startswith("raw/year=2026/month=11/day=23/hour=23/")
