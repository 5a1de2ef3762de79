"""`clickstream dashboard`: the Shiny dashboard over the marts (SPEC §7)."""

from __future__ import annotations

import argparse

from cli.db import ensure_started
from shared import db


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dashboard", help="serve the dashboard over the marts")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050, help="port to listen on (default 8050)")
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    ensure_started()
    # Shiny, plotly and pandas take seconds to import: only this command pays for them.
    import uvicorn

    from dashboard.app import app_from_env

    app = app_from_env()
    reading = db.redact(db.component_url("reader"))
    print(f"dashboard: http://{args.host}:{args.port}/ (reading {reading})")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
