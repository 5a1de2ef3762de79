"""`clickstream run` (one loader run, then `dbt build`), `clickstream build` (`dbt build`
alone) and `clickstream dbt …` (any dbt command), all against the configured warehouse
as the transform role."""

from __future__ import annotations

import argparse
import time
from collections import Counter

from cli.db import ensure_started
from cli.load import add_lake_argument, load_once
from transform.runner import NodeResult, log_path, run_dbt


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="load new lake objects, then dbt build")
    add_lake_argument(run)
    add_build_options(run)
    run.set_defaults(handler=load_and_build)

    build = subparsers.add_parser("build", help="dbt build: every model, seed and test")
    add_build_options(build)
    build.set_defaults(handler=build_only)

    dbt = subparsers.add_parser(
        "dbt",
        help="any dbt command against the warehouse, e.g. `clickstream dbt docs generate`,"
        " `clickstream dbt source freshness`",
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, metavar="DBT_ARGS")
    dbt.set_defaults(handler=dbt_command)


def add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models from all raw rows (after changing a bot or "
        "channel rule, or reporting_timezone)",
    )
    parser.add_argument("--select", "-s", help="dbt node selection, e.g. fact_sessions+")
    parser.add_argument("--exclude", help="dbt nodes to leave out")
    parser.add_argument("--vars", help="dbt vars as YAML, e.g. '{reporting_timezone: UTC}'")


def build_arguments(args: argparse.Namespace) -> list[str]:
    arguments = ["build"]
    if args.full_refresh:
        arguments.append("--full-refresh")
    for option in ("select", "exclude", "vars"):
        value = getattr(args, option)
        if value:
            arguments += [f"--{option}", value]
    return arguments


def describe_build(results: list[NodeResult], seconds: float) -> str:
    """E.g. 'dbt build: 25 models, 3 seeds, 98 tests passed, 0 failed in 41.2 s'."""
    kinds: Counter[str] = Counter()
    for result in results:
        kind = result.unique_id.split(".", 1)[0]
        if kind in ("test", "unit_test"):
            kind = "test"
        kinds[kind] += 1
    warned = sum(result.status == "warn" for result in results)
    parts = [f"{kinds[kind]} {kind}s" for kind in ("model", "seed", "test") if kinds[kind]]
    warnings = f", {warned} warned" if warned else ""
    return f"dbt build: {', '.join(parts) or 'nothing to build'} ok{warnings} in {seconds:.1f} s"


def timed_build(arguments: list[str]) -> str:
    """Run dbt quietly (its log has the detail; a failure names the failing nodes)."""
    ensure_started()
    print(f"dbt {' '.join(arguments)} (log: {log_path() / 'dbt.log'})", flush=True)
    started = time.monotonic()
    results = run_dbt(*arguments, echo=False)
    return describe_build(results, time.monotonic() - started)


def load_and_build(args: argparse.Namespace) -> int:
    summary = load_once(args.lake)
    if summary.status == "skipped":
        print("another loader run holds the lock: building what is already loaded")
    loaded = (
        f"loaded {summary.objects_loaded} objects: {summary.rows_loaded} rows,"
        f" {summary.rows_rejected} rejected, {summary.objects_failed} unreadable"
        f" in {summary.seconds:.1f} s"
    )
    print(loaded, flush=True)
    print(timed_build(build_arguments(args)))
    return 0


def build_only(args: argparse.Namespace) -> int:
    print(timed_build(build_arguments(args)))
    return 0


def dbt_command(args: argparse.Namespace) -> int:
    if not args.dbt_args:
        raise RuntimeError("say which dbt command to run, e.g. `clickstream dbt docs generate`")
    ensure_started()
    run_dbt(*args.dbt_args)
    return 0
