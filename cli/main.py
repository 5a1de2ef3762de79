"""`clickstream`: the one command line that composes the platform (SPEC §9).

Each command group lives in its own module with a `register(subparsers)` function.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from shared.settings import ConfigError

COMMAND_MODULES = (
    "cli.db",
    "cli.schema",
    "cli.load",
    "cli.run",
    "cli.generate",
    "cli.demo",
    "cli.dashboard",
    "cli.serve",
    "cli.storefront",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickstream",
        description="Clickstream analytics for small online shops: run it locally, operate it.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (ConfigError, RuntimeError, OSError) as error:
        # Known failure modes carry a message that says what is wrong and what to do.
        print(f"clickstream {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
