"""`clickstream generate`: synthetic traffic of a computer & accessories shop.

See docs/generator.md for what is simulated and how the output is laid out.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from datetime import date

from generator import GeneratorConfig, generate_to_lake, generate_to_url
from generator.config import MAX_SHARE, today_utc
from shared.settings import ConfigError, default_lake

SHARES = {
    "bot_share": "share of events from crawlers and scrapers",
    "duplicate_share": "share of lines that repeat a delivered request (lost responses)",
    "invalid_share": "share of lines the ingest API refuses (written to invalid/)",
    "late_share": "share of events an offline device sends an hour or more late",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="synthetic shop traffic, written to a lake or sent to an ingest API",
        description="Simulate the visitors of a computer & accessories shop over `--days` UTC "
        "days before `--end`, deterministically for `--seed`, and write the result to a lake "
        "in the ingest API's layout (or POST it to a running ingest API). Prints a JSON "
        "summary of what was generated.",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--lake",
        help="a directory or s3://bucket/prefix (default: CLICKSTREAM_LAKE or .clickstream/lake)",
    )
    target.add_argument("--url", help="an ingest endpoint, e.g. http://127.0.0.1:8080/v1/events")
    # The dataclass's defaults, without building a config (that reads the environment).
    defaults = argparse.Namespace(**{item.name: item.default for item in fields(GeneratorConfig)})
    parser.add_argument(
        "--events", type=int, default=defaults.events, help="about how many lines (%(default)s)"
    )
    parser.add_argument(
        "--days", type=int, default=defaults.days, help="days simulated (%(default)s)"
    )
    parser.add_argument(
        "--end",
        type=parse_date,
        default=None,
        help="first day after the simulated period, YYYY-MM-DD (default: today, UTC)",
    )
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="same seed, same traffic (%(default)s)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        help="processes writing the lake; the output does not depend on it (%(default)s)",
    )
    parser.add_argument(
        "--events-per-object",
        type=int,
        default=None,
        help="cut each hour into objects of this many lines, as a compactor would "
        "(default: one object per request, as the ingest API writes)",
    )
    for name, meaning in SHARES.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=float,
            default=getattr(defaults, name),
            help=f"{meaning}, 0–{MAX_SHARE} (%(default)s)",
        )
    parser.add_argument(
        "--write-key", default=None, help="with --url: the write key the ingest API expects"
    )
    parser.set_defaults(handler=generate)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from exc


def config_from(args: argparse.Namespace) -> GeneratorConfig:
    return GeneratorConfig(
        seed=args.seed,
        days=args.days,
        end=args.end or today_utc(),
        events=args.events,
        events_per_object=args.events_per_object,
        workers=args.workers,
        **{name: getattr(args, name) for name in SHARES},
    )


def generate(args: argparse.Namespace) -> int:
    config = config_from(args)
    if args.url:
        if args.workers != 1 or args.events_per_object is not None:
            raise ConfigError(
                "--workers and --events-per-object apply to --lake only: with --url the "
                "requests go out one by one and the server decides the objects"
            )
        summary = generate_to_url(args.url, config, write_key=args.write_key)
    else:
        if args.write_key:
            raise ConfigError("--write-key applies to --url only")
        summary = generate_to_lake(args.lake or default_lake(), config)
    print(json.dumps(summary.as_dict(), indent=2))
    return 0
