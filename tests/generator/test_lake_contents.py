"""What the generator writes, read back with gzip and json and counted independently."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from generator import GenerationSummary
from shared.settings import PROJECT_ROOT
from tests.generator.conftest import LakeContents, generate, read_lake

SCHEMAS = PROJECT_ROOT / "shared" / "schemas"
KEY = re.compile(
    r"^(?P<area>raw|invalid)/year=(?P<year>\d{4})/month=(?P<month>\d{2})/day=(?P<day>\d{2})/"
    r"hour=(?P<hour>\d{2})/events-(?P<stamp>\d{8}T\d{12}Z)-[0-9a-f]{12}\.ndjson\.gz$"
)
LATE = timedelta(hours=1)
SCRAPER_MIN_EVENTS = 150  # no shopper's session comes near it (they stop at 25 pages)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def key_parts(key: str) -> tuple[datetime, datetime]:
    """(the key's partition hour, the time in its name)."""
    match = KEY.match(key)
    assert match, f"{key} does not follow the lake layout"
    hour = datetime(
        int(match["year"]), int(match["month"]), int(match["day"]), int(match["hour"]), tzinfo=UTC
    )
    stamp = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    return hour, stamp


def is_bot_session(events: list[dict]) -> bool:
    """Crawlers say so in their User-Agent; scrapers only give themselves away by volume."""
    return any(event["ua"]["is_bot"] for event in events) or len(events) >= SCRAPER_MIN_EVENTS


def sessions_of(lake: LakeContents) -> dict[str, list[dict]]:
    sessions: dict[str, list[dict]] = {}
    for event in lake.first_copies().values():
        sessions.setdefault(event["session_id"], []).append(event)
    return sessions


@pytest.fixture(scope="module")
def request_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerationSummary, Path]:
    """One object per request, as the ingest API writes them."""
    root = tmp_path_factory.mktemp("request-lake")
    return generate(root, events=3_000, days=2), root


@pytest.fixture(scope="module")
def shop_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerationSummary, LakeContents]:
    """A week of a small shop's traffic, in compacted objects."""
    root = tmp_path_factory.mktemp("shop-lake")
    summary = generate(root, events=30_000, days=7, events_per_object=500)
    return summary, read_lake(root)


def test_every_line_matches_the_published_json_schemas(request_lake) -> None:
    _, root = request_lake
    lake = read_lake(root)
    events = jsonschema.Draft202012Validator(
        json.loads((SCHEMAS / "lake-event.schema.json").read_text())
    )
    rejections = jsonschema.Draft202012Validator(
        json.loads((SCHEMAS / "invalid-record.schema.json").read_text())
    )
    assert lake.events and lake.rejections
    for record in lake.events:
        events.validate(record)
    for record in lake.rejections:
        rejections.validate(record)


def test_objects_are_laid_out_as_the_ingest_api_writes_them(request_lake) -> None:
    summary, root = request_lake
    lake = read_lake(root)
    request_ids = []
    for item in [*lake.raw, *lake.invalid]:
        hour, stamp = key_parts(item.key)
        received = {record["received_at"] for record in item.records}
        assert len(received) == 1, f"{item.key} mixes requests"
        assert stamp == moment(received.pop())  # named after the request's received_at
        assert hour == stamp.replace(minute=0, second=0, microsecond=0)
        assert item.data[4:8] == b"\x00\x00\x00\x00"  # gzip with mtime 0: reproducible
        body = "".join(
            json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
            for record in item.records
        )
        assert body.encode() == gzip.decompress(item.data)  # compact UTF-8 lines
        if item.key.startswith("raw/"):
            request_ids.append({record["request_id"] for record in item.records})
    assert all(len(ids) == 1 for ids in request_ids)
    assert len({ids.pop() for ids in request_ids}) == len(lake.raw)
    assert summary.objects_written == len(lake.raw) + len(lake.invalid)
    assert summary.requests >= len(lake.raw)


def test_compacted_objects_hold_one_partition_each(shop_lake) -> None:
    _, lake = shop_lake
    for item in [*lake.raw, *lake.invalid]:
        hour, stamp = key_parts(item.key)
        assert 1 <= len(item.records) <= 500
        assert stamp == moment(item.records[0]["received_at"])
        for record in item.records:
            received = moment(record["received_at"])
            assert hour <= received < hour + timedelta(hours=1), item.key


def test_the_summary_counts_what_is_in_the_lake(shop_lake) -> None:
    summary, lake = shop_lake
    first = lake.first_copies()
    sessions = sessions_of(lake)
    bot_sessions = {key for key, events in sessions.items() if is_bot_session(events)}
    purchases = [event for event in first.values() if event["event_type"] == "purchase"]
    late = [
        event
        for event in first.values()
        if moment(event["received_at"]) - moment(event.get("ts_corrected", event["ts"])) >= LATE
    ]

    assert summary.valid_lines == len(lake.events)
    assert summary.invalid_lines == len(lake.rejections)
    assert summary.lines_written == len(lake.events) + len(lake.rejections)
    assert summary.events_by_type == Counter(event["event_type"] for event in first.values())
    assert summary.duplicate_lines == len(lake.events) - len(first)
    assert summary.invalid_by_reason == Counter(record["reason"] for record in lake.rejections)
    assert summary.late_events == len(late)
    assert summary.bot_sessions == len(bot_sessions)
    assert summary.sessions == len(sessions) - len(bot_sessions)
    assert summary.bot_events == sum(len(sessions[key]) for key in bot_sessions)
    assert summary.orders == len({event["ecom"]["order_id"] for event in purchases})
    revenue = sum(event["ecom"]["price"] * event["ecom"].get("qty", 1) for event in purchases)
    assert summary.revenue == pytest.approx(revenue, abs=0.01)
    assert summary.objects_written == len(lake.raw) + len(lake.invalid)
    received = sorted(record["received_at"] for record in [*lake.events, *lake.rejections])
    assert (summary.first_received_at, summary.last_received_at) == (received[0], received[-1])
    assert abs(summary.lines_written - 30_000) < 0.1 * 30_000  # --events is met, roughly


def uuid7_time(text: str) -> datetime:
    """The time a version-7 UUID carries (its first 48 bits, in ms); fails on any other."""
    value = uuid.UUID(text)
    assert value.version == 7, f"{text} is a version-{value.version} UUID, not version 7"
    return datetime.fromtimestamp(int.from_bytes(value.bytes[:6], "big") / 1000, tz=UTC)


def test_event_and_session_ids_are_time_ordered_uuids_as_the_sdk_makes_them(shop_lake) -> None:
    _, lake = shop_lake
    sessions = sessions_of(lake)
    assert len(sessions) > 1_000
    for session_id, events in sessions.items():
        starts_at = uuid7_time(session_id)
        for event in events:
            assert uuid7_time(event["event_id"]) == moment(event["ts"]), event["event_id"]
            assert starts_at <= moment(event["ts"]), f"{session_id} starts after {event['ts']}"


def test_configured_shares_of_bots_duplicates_invalid_and_late_events(tmp_path: Path) -> None:
    shares = {"bot_share": 0.10, "duplicate_share": 0.05, "invalid_share": 0.02, "late_share": 0.05}
    generate(tmp_path, events=20_000, days=2, events_per_object=1_000, **shares)
    lake = read_lake(tmp_path)
    first = lake.first_copies()
    lines = len(lake.events) + len(lake.rejections)
    sessions = sessions_of(lake)
    bots = sum(len(events) for events in sessions.values() if is_bot_session(events))
    late = sum(
        moment(event["received_at"]) - moment(event.get("ts_corrected", event["ts"])) >= LATE
        for event in first.values()
    )

    observed = {
        "bot_share": bots / len(first),
        "duplicate_share": (len(lake.events) - len(first)) / lines,
        "invalid_share": len(lake.rejections) / lines,
        "late_share": late / len(first),
    }
    for name, wanted in shares.items():
        assert observed[name] == pytest.approx(wanted, rel=0.3), (name, observed)


def test_zero_shares_give_clean_traffic(tmp_path: Path) -> None:
    zero = {"bot_share": 0.0, "duplicate_share": 0.0, "invalid_share": 0.0, "late_share": 0.0}
    summary = generate(tmp_path, events=3_000, days=1, events_per_object=1_000, **zero)
    lake = read_lake(tmp_path)
    assert not lake.invalid
    assert len(lake.first_copies()) == len(lake.events) == summary.events
    assert not any(is_bot_session(events) for events in sessions_of(lake).values())
    assert summary.late_events == summary.bot_events == 0


def test_the_traffic_looks_like_a_computer_shop(shop_lake) -> None:
    _, lake = shop_lake
    first = list(lake.first_copies().values())
    human = [events for events in sessions_of(lake).values() if not is_bot_session(events)]

    products = {
        event["ecom"]["product_id"]: event["ecom"]
        for event in first
        if "product_id" in event.get("ecom", {})
    }
    priced = [ecom for ecom in products.values() if "price" in ecom]
    assert len(priced) >= 150
    assert len({ecom["category"] for ecom in priced}) >= 8
    assert len({ecom["brand"] for ecom in priced}) >= 20
    prices = [ecom["price"] for ecom in priced]
    assert min(prices) < 30 and max(prices) > 1_000  # cables and mice to gaming laptops

    def reached(event_type: str, product_view: bool = False) -> int:
        return sum(
            any(
                event["event_type"] == event_type and (not product_view or "ecom" in event)
                for event in events
            )
            for events in human
        )

    funnel = [reached("view", product_view=True), reached("add_to_cart"), reached("checkout")]
    funnel.append(reached("purchase"))
    assert funnel == sorted(funnel, reverse=True) and funnel[-1] > 0, funnel
    assert funnel[-1] / len(human) < 0.1  # most sessions do not buy
    bounces = sum(len(events) == 1 for events in human)
    assert 0.15 < bounces / len(human) < 0.6

    days_seen: dict[str, set[str]] = {}
    for events in human:
        days_seen.setdefault(events[0]["anonymous_id"], set()).add(events[0]["ts"][:10])
    returning = sum(len(days) > 1 for days in days_seen.values())
    assert returning / len(days_seen) > 0.1  # visitors come back on other days

    landing_urls = [min(events, key=lambda event: event["ts"])["page_url"] for events in human]
    assert sum("utm_source=" in url for url in landing_urls) / len(human) > 0.1
    referrers = Counter(event.get("referrer", "") for event in first)
    for provider in ("checkout.stripe.com", "www.paypal.com", "pay.vnpay.vn", "payment.momo.vn"):
        assert any(provider in referrer for referrer in referrers), provider

    searches = [event for event in first if event["event_type"] == "search"]
    zero_results = sum(event["props"]["results_count"] == 0 for event in searches)
    assert 0.02 < zero_results / len(searches) < 0.5
    assert {event["device"]["type"] for event in first} == {"desktop", "mobile", "tablet"}
    assert len({event["geo"]["country"] for event in first if "geo" in event}) >= 10
    assert any("user_id" in event for event in first)  # signed-in customers, hashed
    assert all(len(event["user_id"]) == 64 for event in first if "user_id" in event)
