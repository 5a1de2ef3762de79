"""The committed OpenAPI document (ingest/openapi.yaml) against the running server.

Schemathesis generates requests from the document, valid and invalid, sends them to a real
uvicorn server and checks every answer: never a 5xx, and status, headers, content type and
body as the document says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ingest.core import IngestService
from shared.contract import ClientEvent
from tests.conftest import PROJECT_ROOT
from tests.ingest.conftest import local_config, running_server

DOCUMENT = PROJECT_ROOT / "ingest" / "openapi.yaml"
CONTRACT_SCHEMAS = ("ClientEvent", "Device", "Ecom", "Geo")

schema = schemathesis.openapi.from_path(DOCUMENT)


def test_the_document_is_valid_openapi_3_1() -> None:
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_the_event_schema_is_the_contracts() -> None:
    components = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))["components"]["schemas"]
    expected = ClientEvent.model_json_schema()
    definitions = expected.pop("$defs")
    documented = json.loads(
        json.dumps({name: components[name] for name in CONTRACT_SCHEMAS}).replace(
            "#/components/schemas/", "#/$defs/"
        )
    )
    assert documented == {"ClientEvent": expected, **definitions}, (
        "ingest/openapi.yaml's copy of the event contract is stale: copy "
        "ClientEvent.model_json_schema() into components.schemas"
    )


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    lake = tmp_path_factory.mktemp("fuzz") / "lake"
    config = local_config(lake, allowed_origins=("https://shop.example",))
    with running_server(IngestService.from_config(config)) as base_url:
        yield base_url, lake


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
def test_the_server_keeps_the_document_for_any_input(
    case: schemathesis.Case, fuzz_server: tuple[str, Path]
) -> None:
    base_url, _ = fuzz_server
    case.call_and_validate(
        base_url=base_url,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
        # Schema-invalid events are answered 202 by design: they are stored under invalid/.
        excluded_checks=[negative_data_rejection],
    )
