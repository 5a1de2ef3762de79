"""Warehouse test fixtures: a bootstrapped database per module, real lakes, real dbt.

dbt starts slowly (seconds per invocation), so each scenario builds once per module: the
`warehouse` fixture of tests/conftest.py is per test, these fixtures make the same kind of
database once per module instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared import db
from shared.embedded_postgres import EmbeddedPostgres
from tests.conftest import Warehouse
from transform.runner import NodeResult, run_dbt


@pytest.fixture(scope="module")
def dbt_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A target and log folder of the module's own: other dbt runs in the checkout (other
    tests, an analyst) keep theirs, and partial parsing stays valid between builds."""
    base = tmp_path_factory.mktemp("dbt")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(base / "target"))
        patch.setenv("DBT_LOG_PATH", str(base / "logs"))
        yield base


def create_warehouse(server: EmbeddedPostgres) -> Warehouse:
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    target = Warehouse(server, name)
    db.bootstrap(target.admin_url)
    return target


def drop_warehouse(target: Warehouse) -> None:
    with psycopg.connect(target.server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(target.name))
        )


@pytest.fixture(scope="module")
def module_warehouse(postgres_server: EmbeddedPostgres) -> Iterator[Warehouse]:
    target = create_warehouse(postgres_server)
    yield target
    drop_warehouse(target)


def build(target: Warehouse, *args: str) -> list[NodeResult]:
    """`dbt build` (or `args`) against the database, as the transform role."""
    return run_dbt(*(args or ("build",)), database_url=target.url("transform"), echo=False)


def relation_rows(target: Warehouse, relation: str, exclude: tuple[str, ...] = ()) -> list[tuple]:
    """Every row of `relation` (schema.table) without the `exclude` columns, sorted."""
    schema, table = relation.split(".")
    columns = [
        name
        for (name,) in target.query(
            "select column_name from information_schema.columns"
            " where table_schema = %s and table_name = %s order by ordinal_position",
            (schema, table),
        )
        if name not in exclude
    ]
    statement = sql.SQL("select {} from {}.{} order by {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Identifier(schema),
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL(str(position)) for position in range(1, len(columns) + 1)),
    )
    return target.query(statement.as_string())
