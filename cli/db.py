"""`clickstream db start|stop|status|url|bootstrap`: the embedded Postgres."""

from __future__ import annotations

import argparse

from shared import db
from shared.embedded_postgres import EmbeddedPostgres


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("db", help="the embedded Postgres (or DATABASE_URL's server)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "start", help="start the embedded Postgres and bootstrap schemas and roles"
    ).set_defaults(handler=start)
    actions.add_parser("stop", help="stop the embedded Postgres").set_defaults(handler=stop)
    actions.add_parser("status", help="say whether the embedded Postgres runs").set_defaults(
        handler=status
    )
    url = actions.add_parser("url", help="print a connection URL")
    url.add_argument(
        "--role",
        choices=["admin", *db.ROLES],
        default="admin",
        help="whose URL to print (default: the administrator's)",
    )
    url.set_defaults(handler=print_url)
    actions.add_parser(
        "bootstrap", help="create schemas, raw tables and roles (idempotent)"
    ).set_defaults(handler=bootstrap)


def ensure_started() -> None:
    """Start and bootstrap the embedded server when it is the configured one.

    An external server (DATABASE_URL) is bootstrapped once by its operator with
    `clickstream db bootstrap`; day-to-day commands then need only their own role.
    """
    if db.uses_embedded():
        EmbeddedPostgres.from_env().start()
        db.bootstrap()


def start(_: argparse.Namespace) -> int:
    if db.uses_embedded():
        EmbeddedPostgres.from_env().start()
    db.bootstrap()
    print(db.redact(db.admin_url()))
    return 0


def stop(_: argparse.Namespace) -> int:
    if not db.uses_embedded():
        print("DATABASE_URL is set: that server is not ours to stop")
        return 0
    EmbeddedPostgres.from_env().stop()
    return 0


def status(_: argparse.Namespace) -> int:
    if not db.uses_embedded():
        print(f"external: {db.redact(db.admin_url())}")
        return 0
    server = EmbeddedPostgres.from_env()
    running = server.is_running()
    print(f"{'running' if running else 'stopped'}: {server.url()} (data in {server.data_dir})")
    return 0 if running else 3


def print_url(args: argparse.Namespace) -> int:
    url = db.admin_url() if args.role == "admin" else db.component_url(args.role)
    print(url)
    return 0


def bootstrap(_: argparse.Namespace) -> int:
    db.bootstrap()
    print("schemas, raw tables and roles are in place")
    return 0
