"""The event contract (SPEC §3): committed JSON Schema is current, models accept and refuse."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from cli.schema import schema_path
from shared.contract import ClientEvent, json_schemas, render_json_schema


def minimal_event(**overrides: object) -> dict:
    event = {
        "event_id": str(uuid.uuid4()),
        "ts": "2026-11-23T10:00:00+07:00",
        "event_type": "view",
        "session_id": "s-1",
        "anonymous_id": "a-1",
        "page_url": "https://shop.example/",
    }
    event.update(overrides)
    return event


@pytest.mark.parametrize("name", sorted(json_schemas()))
def test_committed_json_schema_is_current(name: str) -> None:
    assert schema_path(name).read_text(encoding="utf-8") == render_json_schema(name), (
        f"{schema_path(name)} is stale: run `clickstream schema export`"
    )


def test_minimal_event_is_valid() -> None:
    event = ClientEvent.model_validate(minimal_event())
    assert event.event_type == "view"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ts": "2026-11-23T10:00:00"}, "ts"),  # no offset
        ({"event_type": "hover"}, "event_type"),
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"page_url": "javascript:alert(1)"}, "page_url"),
        ({"device": {"type": "watch"}}, "device"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"event_type": "purchase", "ecom": {"product_id": "p1"}}, "order_id"),
        ({"event_type": "add_to_cart"}, "product_id"),
        ({"event_type": "search", "props": {"results_count": 3}}, "search_query"),
        ({"ecom": {"currency": "dong"}}, "currency"),
        ({"ecom": {"price": -1}}, "price"),
    ],
)
def test_contract_refuses_with_a_message_naming_the_field(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        ClientEvent.model_validate(minimal_event(**overrides))
    assert field in str(error.value)
