"""Where the warehouse is, who connects to it, and the bootstrap of schemas and roles.

`DATABASE_URL` (an administrator's URL) overrides the embedded Postgres everywhere.
Each component connects as its own least-privilege role: the URL comes from
`<COMPONENT>_DATABASE_URL` when set, else from the administrator URL with the role's
name (and `CLICKSTREAM_<ROLE>_PASSWORD`, if set) put in place of the user.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from shared.embedded_postgres import EmbeddedPostgres
from shared.settings import env_int

Component = Literal["loader", "transform", "reader"]


@dataclass(frozen=True)
class Role:
    name: str
    url_variable: str
    password_variable: str


ROLES: dict[Component, Role] = {
    "loader": Role("clickstream_loader", "LOADER_DATABASE_URL", "CLICKSTREAM_LOADER_PASSWORD"),
    "transform": Role(
        "clickstream_transform", "TRANSFORM_DATABASE_URL", "CLICKSTREAM_TRANSFORM_PASSWORD"
    ),
    "reader": Role("clickstream_reader", "READER_DATABASE_URL", "CLICKSTREAM_READER_PASSWORD"),
}
DBT_SCHEMAS = ("reference", "staging", "intermediate", "marts")
READER_STATEMENT_TIMEOUT_MS = 5000


class DatabaseUnavailableError(RuntimeError):
    """Postgres cannot be reached; the message says where and what to do."""


def uses_embedded() -> bool:
    return not os.environ.get("DATABASE_URL", "").strip()


def admin_url() -> str:
    return os.environ.get("DATABASE_URL", "").strip() or EmbeddedPostgres.from_env().url()


def component_url(component: Component) -> str:
    role = ROLES[component]
    explicit = os.environ.get(role.url_variable, "").strip()
    if explicit:
        return explicit
    return with_user(admin_url(), role.name, os.environ.get(role.password_variable) or None)


def with_user(url: str, user: str, password: str | None) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = quote(user, safe="")
    if password:
        netloc += ":" + quote(password, safe="")
    netloc += "@" + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def redact(url: str) -> str:
    """The URL without its password, for logs and error messages."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def connect(url: str, **kwargs: object) -> psycopg.Connection:
    """A connection, or an error that names the server and says how to fix it."""
    try:
        return psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        hint = (
            "start it with `clickstream db start`"
            if uses_embedded()
            else "check DATABASE_URL and that the server is up"
        )
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailableError(
            f"cannot connect to Postgres at {redact(url)}: {reason}; {hint}"
        ) from exc


def bootstrap(url: str | None = None) -> None:
    """Create schemas, the raw tables and the least-privilege roles. Safe to re-run."""
    with connect(url or admin_url(), autocommit=True) as conn:
        for role in ROLES.values():
            ensure_role(conn, role)
        database = conn.execute("select current_database()").fetchone()[0]
        conn.execute(
            sql.SQL("grant connect, temporary on database {} to {}, {}, {}").format(
                sql.Identifier(database), *(sql.Identifier(r.name) for r in ROLES.values())
            )
        )
        conn.execute(
            sql.SQL("grant create on database {} to {}").format(
                sql.Identifier(database), sql.Identifier(ROLES["transform"].name)
            )
        )
        conn.execute(resources.files("shared.sql").joinpath("bootstrap.sql").read_text())
        conn.execute(
            sql.SQL("alter role {} set statement_timeout = {}").format(
                sql.Identifier(ROLES["reader"].name),
                sql.Literal(reader_statement_timeout_ms()),
            )
        )


def reader_statement_timeout_ms() -> int:
    return env_int("READER_STATEMENT_TIMEOUT_MS", READER_STATEMENT_TIMEOUT_MS, minimum=100)


def ensure_role(conn: psycopg.Connection, role: Role) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (role.name,)).fetchone()
    if not exists:
        conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role.name)))
    password = os.environ.get(role.password_variable)
    if password:
        conn.execute(
            sql.SQL("alter role {} password {}").format(
                sql.Identifier(role.name), sql.Literal(password)
            )
        )
