"""`clickstream load`: one loader run (`clickstream run`, in cli/run.py, adds `dbt build`)."""

from __future__ import annotations

import argparse

from cli.db import ensure_started
from loader.core import LoadSummary, run_load
from shared import db
from shared.lake import open_lake
from shared.settings import default_lake


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("load", help="land new lake objects into raw.events (once)")
    add_lake_argument(parser)
    parser.set_defaults(handler=load)


def add_lake_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lake",
        default=None,
        help="a directory or s3://bucket/prefix (default: CLICKSTREAM_LAKE or .clickstream/lake)",
    )


def load_once(lake: str | None) -> LoadSummary:
    """One loader run; its JSON log line is the command's output."""
    ensure_started()
    return run_load(open_lake(lake or default_lake()), db.component_url("loader"))


def load(args: argparse.Namespace) -> int:
    load_once(args.lake)
    return 0
