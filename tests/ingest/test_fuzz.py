"""Property-based fuzzing of the running server with hostile bodies, over real sockets.

Schemathesis (test_openapi.py) explores what the OpenAPI document describes; this explores
what it does not: arbitrary bytes, invalid UTF-8, lone surrogates, NUL, deep nesting, huge
numbers and valid events with one field replaced by any JSON value. For every input the
server must answer without a 5xx, and everything it acknowledged must be in the lake: a
202 answer's accepted events under raw/ and refused ones under invalid/, a 400 body kept
whole under invalid/. The lake is read back with gzip and json, not with the code under test.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ingest.core import IngestService
from shared.settings import IngestLimits
from tests.ingest.conftest import local_config, make_event, ndjson_records, running_server

LIMITS = IngestLimits(max_body_bytes=8_192, max_events=20, max_event_bytes=2_048, max_depth=6)

# Every code point, surrogates and NUL included: JSON can carry them all as escapes.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=30,
)
EVENT_FIELDS = list(make_event(sent_at="2026-11-23T17:15:20+07:00", props={}))
# Values a field-blind generator rarely finds: URLs that do not split, times at the edges
# of what a timestamp can hold, in any offset.
HOSTILE_TEXT = st.sampled_from(
    [
        "http://[",
        "https://[::1/?email=bob%40example.com",
        "https://shop.example/?tel=0912345678#?x=[",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999-12:00",
        "2026-11-23T10:00:00+23:59",
    ]
)
any_time = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
    st.integers(-23 * 60, 23 * 60),
)
field_values = st.one_of(json_values, HOSTILE_TEXT, any_time)


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    """A valid event with a few fields replaced, dropped or added, or any JSON value."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    event = make_event(sent_at="2026-11-23T17:15:20+07:00", props={"list": "home"})
    if draw(st.integers(0, 9)) == 0:
        # Around the per-event size limit (2 KB here), in multi-byte characters too.
        event["page_title"] = draw(st.sampled_from("xé🛒")) * draw(st.integers(400, 2_100))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from([*EVENT_FIELDS, "ecom", "geo", "device", "extra"]))
        if draw(st.booleans()):
            event[name] = draw(field_values)
        else:
            event.pop(name, None)
    return event


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    shape = draw(st.sampled_from(["batch", "single", "bytes", "nested", "many"]))
    if shape == "many":  # around the batch limit (20 here)
        count = draw(st.integers(LIMITS.max_events - 2, LIMITS.max_events + 2))
        return json.dumps({"events": [make_event() for _ in range(count)]}).encode()
    if shape == "bytes":
        return draw(st.binary(max_size=512))
    if shape == "nested":
        depth = draw(st.integers(1, 3000))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        return opener * depth + b"1" + closer * depth
    document: Any = draw(mutated_events())
    if shape == "batch":
        document = {"events": draw(st.lists(mutated_events(), min_size=1, max_size=25))}
    # Escaped or raw: raw lone surrogates become bytes that are not valid UTF-8.
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


@dataclass
class LakeReader:
    """Reads only the objects that appeared since the last call."""

    root: Path
    seen: set[Path] = field(default_factory=set)

    def new_records(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {"raw": [], "invalid": []}
        for path in sorted(self.root.rglob("*.ndjson.gz")):
            if path in self.seen:
                continue
            self.seen.add(path)
            area = path.relative_to(self.root).parts[0]
            found[area].extend(ndjson_records(path.read_bytes()))
        return found


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Path]]:
    lake = tmp_path_factory.mktemp("fuzz-bodies") / "lake"
    service = IngestService.from_config(local_config(lake, limits=LIMITS))
    with running_server(service) as base_url, httpx.Client(base_url=base_url) as http:
        yield http, lake


@given(body=bodies(), content_type=st.sampled_from(["application/json", "text/plain"]))
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_any_body_is_answered_without_5xx_and_what_is_acknowledged_is_stored(
    fuzz_target: tuple[httpx.Client, Path], body: bytes, content_type: str
) -> None:
    http, lake = fuzz_target
    reader = LakeReader(lake, set(lake.rglob("*.ndjson.gz")))

    response = http.post("/v1/events", content=body, headers={"content-type": content_type})

    assert response.status_code in (202, 400, 413), response.text
    answer = response.json()
    # Shown by --hypothesis-show-statistics: what the run covered.
    event(f"status {response.status_code} {answer.get('error', '')}".strip())
    request_id = response.headers["x-request-id"]
    stored = reader.new_records()
    if response.status_code == 413:
        assert len(body) > LIMITS.max_body_bytes
        assert stored == {"raw": [], "invalid": []}
    elif response.status_code == 400:
        [kept] = stored["invalid"]
        assert (kept["reason"], kept["request_id"]) == (answer["error"], request_id)
        assert base64.b64decode(kept["payload_base64"]) == body
        assert stored["raw"] == []
    else:
        results = answer["results"]
        accepted = [result["event_id"] for result in results if result["status"] == "accepted"]
        refused = [result["index"] for result in results if result["status"] == "rejected"]
        for result in results:
            event(f"event {result['reason'] or 'accepted'}")
        assert (answer["accepted"], answer["rejected"]) == (len(accepted), len(refused))
        assert [record["event_id"] for record in stored["raw"]] == accepted
        assert [record["event_index"] for record in stored["invalid"]] == refused
        assert {record["request_id"] for record in stored["raw"] + stored["invalid"]} <= {
            request_id
        }
        lake_text = json.dumps(stored["raw"], ensure_ascii=False)
        assert "\x00" not in lake_text
        lake_text.encode("utf-8")  # no lone surrogate reached raw/
