"""Fixtures for the dashboard: the hand-made marts in a fresh warehouse, and a reader."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from dashboard.filters import Filters
from dashboard.reader import MartReader, ResultCache
from tests.conftest import Warehouse

FIXTURE_SQL = Path(__file__).with_name("marts_fixture.sql")
# The fixture's range under test; its previous period is 2024-03-01 .. 2024-03-07.
RANGE = Filters(date(2024, 3, 8), date(2024, 3, 14))


@pytest.fixture
def marts(warehouse: Warehouse) -> Warehouse:
    """A warehouse whose marts hold the hand-made rows of marts_fixture.sql."""
    load_fixture(warehouse)
    return warehouse


def load_fixture(warehouse: Warehouse) -> None:
    admin_execute(warehouse, FIXTURE_SQL.read_text())


def admin_execute(warehouse: Warehouse, statement: str | sql.Composable) -> None:
    """Run a statement that returns no rows as the administrator."""
    with psycopg.connect(warehouse.admin_url, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture
def reader(marts: Warehouse) -> Iterator[MartReader]:
    reader = MartReader(marts.url("reader"), ResultCache(ttl_seconds=3600))
    yield reader
    reader.close()
