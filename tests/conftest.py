"""Shared fixtures: one real embedded Postgres per test session, a fresh database per test."""

from __future__ import annotations

import shutil
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared import db
from shared.embedded_postgres import EmbeddedPostgres
from shared.ports import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Warehouse:
    """A bootstrapped database of its own on the session's Postgres."""

    server: EmbeddedPostgres
    name: str

    @property
    def admin_url(self) -> str:
        return self.server.url(database=self.name)

    def url(self, component: db.Component) -> str:
        return db.with_user(self.admin_url, db.ROLES[component].name, None)

    def query(self, statement: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            return conn.execute(statement, params).fetchall()

    def scalar(self, statement: str, params: tuple = ()):
        return self.query(statement, params)[0][0]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto in server mode on 127.0.0.1: S3 and SQS over real HTTP (AWS cannot run here)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point boto3 at a freshly reset moto server with fake credentials; returns its URL."""
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


@contextmanager
def folder_for_postgres(prefix: str) -> Iterator[Path]:
    """A temporary folder for a Postgres data directory, removed afterwards.

    Not under pytest's tmp_path root: Postgres runs as the `pgserver` user, and every pytest
    session that starts (another one on the same machine too) resets that root to 0700,
    which cuts a running server off from its own data folder.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def state_dir_for_postgres() -> Iterator[Path]:
    """A CLICKSTREAM_STATE_DIR for a test that starts its own embedded Postgres."""
    with folder_for_postgres("clickstream-test-state-") as folder:
        yield folder / "state"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[EmbeddedPostgres]:
    with folder_for_postgres("clickstream-test-postgres-") as folder:
        server = EmbeddedPostgres(data_dir=folder / "pgdata", port=free_port())
        try:
            server.start()
            yield server
        finally:
            server.stop()


@pytest.fixture
def warehouse(
    postgres_server: EmbeddedPostgres, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Warehouse]:
    """A fresh database, bootstrapped, with DATABASE_URL pointing at it for the test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    target = Warehouse(postgres_server, name)
    monkeypatch.setenv("DATABASE_URL", target.admin_url)
    db.bootstrap(target.admin_url)
    yield target
    with psycopg.connect(postgres_server.url(database="postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
