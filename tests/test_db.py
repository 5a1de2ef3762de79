"""Embedded Postgres lifecycle and the least-privilege roles the bootstrap creates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from shared import db
from shared.ports import free_port
from tests.conftest import Warehouse

CLICKSTREAM = str(Path(sys.executable).parent / "clickstream")


def clickstream(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLICKSTREAM, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_embedded_db_start_is_idempotent_and_data_survives_stop_start(
    state_dir_for_postgres: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "CLICKSTREAM_STATE_DIR": str(state_dir_for_postgres),
        "CLICKSTREAM_DB_PORT": str(free_port()),
    }
    try:
        assert clickstream("db", "start", env=env).returncode == 0
        assert clickstream("db", "start", env=env).returncode == 0  # already running: fine
        url = clickstream("db", "url", env=env).stdout.strip()
        assert url == f"postgresql://postgres@127.0.0.1:{env['CLICKSTREAM_DB_PORT']}/clickstream"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create table public.kept (note text)")
            conn.execute("insert into public.kept values ('still here')")

        assert clickstream("db", "stop", env=env).returncode == 0
        stopped = clickstream("db", "status", env=env)
        assert (stopped.returncode, stopped.stdout.split(":")[0]) == (3, "stopped")
        assert clickstream("db", "start", env=env).returncode == 0

        with psycopg.connect(url) as conn:
            assert conn.execute("select note from public.kept").fetchone() == ("still here",)
        reader = clickstream("db", "url", "--role", "reader", env=env).stdout.strip()
        assert reader.startswith("postgresql://clickstream_reader@127.0.0.1:")
    finally:
        clickstream("db", "stop", env=env)


def test_database_url_overrides_the_embedded_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://admin:pw@db.example:6543/shop")
    monkeypatch.setenv("CLICKSTREAM_LOADER_PASSWORD", "l0ader")
    assert db.admin_url() == "postgresql://admin:pw@db.example:6543/shop"
    assert (
        db.component_url("loader") == "postgresql://clickstream_loader:l0ader@db.example:6543/shop"
    )
    monkeypatch.setenv("READER_DATABASE_URL", "postgresql://ro@replica/shop")
    assert db.component_url("reader") == "postgresql://ro@replica/shop"
    assert (
        db.redact("postgresql://admin:pw@db.example/shop")
        == "postgresql://admin:***@db.example/shop"
    )


def run_as(warehouse: Warehouse, component: db.Component, statement: str) -> None:
    """Each `;`-separated statement in its own transaction."""
    with psycopg.connect(warehouse.url(component), autocommit=True) as conn:
        for part in statement.split(";"):
            conn.execute(part)


@pytest.mark.parametrize(
    ("component", "statement"),
    [
        ("loader", "delete from raw.events"),
        ("loader", "update raw.load_manifest set lines = 0"),
        ("loader", "select * from raw.events"),
        ("loader", "drop table raw.events"),
        ("transform", "insert into raw.events (object_key, line_no, load_id, payload)"
                      " values ('k', 1, gen_random_uuid(), '{}')"),
        ("transform", "truncate raw.events"),
        ("reader", "select * from raw.events"),
        # read-only by default, and denied even after switching read-only off
        ("reader", "set default_transaction_read_only = off; create table marts.sneaky (x int)"),
    ],
)  # fmt: skip
def test_roles_cannot_step_outside_their_job(
    warehouse: Warehouse, component: db.Component, statement: str
) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run_as(warehouse, component, statement)


def test_roles_can_do_their_job(warehouse: Warehouse) -> None:
    run_as(
        warehouse,
        "loader",
        "insert into raw.events (object_key, line_no, load_id, payload)"
        " values ('k', 1, gen_random_uuid(), '{}')",
    )
    run_as(warehouse, "transform", "create table marts.ok as select count(*) as n from raw.events")
    with psycopg.connect(warehouse.url("reader")) as conn:
        assert conn.execute("select n from marts.ok").fetchone() == (1,)
        assert conn.execute("show statement_timeout").fetchone() == ("5s",)
        assert conn.execute("show default_transaction_read_only").fetchone() == ("on",)


def test_no_application_role_owns_a_raw_table(warehouse: Warehouse) -> None:
    owners = warehouse.query("select distinct tableowner from pg_tables where schemaname = 'raw'")
    assert owners == [("postgres",)]


def test_bootstrap_is_idempotent(warehouse: Warehouse) -> None:
    db.bootstrap(warehouse.admin_url)
    db.bootstrap(warehouse.admin_url)
    assert warehouse.scalar("select count(*) from pg_tables where schemaname = 'raw'") == 5
