"""`clickstream schema export|check`: the committed JSON Schema of the event contract."""

from __future__ import annotations

import argparse
from pathlib import Path

from shared.contract import json_schemas, render_json_schema

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "shared" / "schemas"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schema", help="the event contract's JSON Schema files")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("export", help=f"rewrite the files in {SCHEMA_DIR}").set_defaults(
        handler=export
    )
    actions.add_parser("check", help="fail when the committed files are stale").set_defaults(
        handler=check
    )


def schema_path(name: str) -> Path:
    return SCHEMA_DIR / f"{name}.schema.json"


def export(_: argparse.Namespace) -> int:
    for name in json_schemas():
        schema_path(name).write_text(render_json_schema(name), encoding="utf-8")
        print(schema_path(name))
    return 0


def check(_: argparse.Namespace) -> int:
    stale = [
        name
        for name in json_schemas()
        if not schema_path(name).exists()
        or schema_path(name).read_text(encoding="utf-8") != render_json_schema(name)
    ]
    for name in stale:
        print(f"{schema_path(name)} is stale: run `clickstream schema export`")
    return 1 if stale else 0
