"""`run_dbt`: one dbt command on the project, pointed at the warehouse as the transform role.

dbt runs in a subprocess of this interpreter (dbt's own entry point): its global state
(flags, adapters, caches) starts clean every time, which matters when a test or a demo
calls it repeatedly. `profiles.yml` reads the connection from the `DBT_PG_*` variables;
`dbt_environment` derives them from a database URL, so `clickstream` and the tests reach
the same database as everything else, and an analyst running `dbt` directly uses the
embedded defaults (or sets the variables).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from shared import db
from shared.settings import PROJECT_ROOT

FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
NO_COLOURS = {"DBT_USE_COLORS": "false"}  # captured output goes into error messages
OUTPUT_TAIL_LINES = 40


class TransformError(RuntimeError):
    """A dbt command failed; the message names the failing nodes and where the log is."""


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    status: str
    message: str
    seconds: float  # the node's execution time


def dbt_environment(url: str) -> dict[str, str]:
    """The variables profiles.yml reads, for the database at `url` (a postgresql:// URL)."""
    parts = urlsplit(url)
    environment = {
        "DBT_PG_HOST": parts.hostname or "127.0.0.1",
        "DBT_PG_PORT": str(parts.port or 5432),
        "DBT_PG_USER": unquote(parts.username or ""),
        "DBT_ENV_SECRET_PG_PASSWORD": unquote(parts.password or ""),
        "DBT_PG_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
    }
    sslmode = parse_qs(parts.query).get("sslmode")
    if sslmode:
        environment["DBT_PG_SSLMODE"] = sslmode[0]
    return environment


def target_path() -> Path:
    """Where dbt writes manifest, run results and the docs site (DBT_TARGET_PATH)."""
    return PROJECT_ROOT / os.environ.get("DBT_TARGET_PATH", "target")


def log_path() -> Path:
    return PROJECT_ROOT / os.environ.get("DBT_LOG_PATH", "logs")


def run_dbt(*args: str, database_url: str | None = None, echo: bool = True) -> list[NodeResult]:
    """Run `dbt <args>` in the project root against `database_url` (default: the transform
    role's URL). dbt's output goes to stdout when `echo`, else it is kept for the error.
    Returns the nodes' results; raises TransformError when dbt fails."""
    url = database_url or db.component_url("transform")
    command = [
        sys.executable,
        "-c",
        "from dbt.cli.main import cli; cli()",
        *args,
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT),
    ]
    results_file = target_path() / "run_results.json"
    results_file.unlink(missing_ok=True)  # a stale file would name another run's failures
    completed = subprocess.run(  # noqa: S603 - our interpreter and dbt, no shell
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, **dbt_environment(url), **({} if echo else NO_COLOURS)},
        stdout=None if echo else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    results = read_results(results_file)
    if completed.returncode != 0:
        raise TransformError(failure_message(args, results, completed.stdout, db.redact(url)))
    return results


def read_results(results_file: Path) -> list[NodeResult]:
    """The per-node results dbt wrote (none for commands that write no run_results.json)."""
    if not results_file.is_file():
        return []
    document = json.loads(results_file.read_text())
    return [
        NodeResult(
            unique_id=item["unique_id"],
            status=str(item["status"]).lower(),
            message=(item.get("message") or "").strip(),
            seconds=float(item.get("execution_time") or 0.0),
        )
        for item in document.get("results", [])
    ]


def failure_message(
    args: tuple[str, ...], results: list[NodeResult], output: str | None, where: str
) -> str:
    failed = [result for result in results if result.status in FAILED_STATUSES]
    lines = [f"`dbt {' '.join(args)}` failed against {where}"]
    if failed:
        lines.append(f"{len(failed)} node(s) failed:")
        lines.extend(f"  {result.unique_id}: {summary(result.message)}" for result in failed)
    elif output:
        lines.append("dbt said:")
        lines.extend("  " + line for line in output.strip().splitlines()[-OUTPUT_TAIL_LINES:])
    lines.append(f"full log: {log_path() / 'dbt.log'}")
    return "\n".join(lines)


def summary(message: str, max_lines: int = 8) -> str:
    """dbt's message for a node, its first lines indented under the node's name."""
    lines = [line.rstrip() for line in message.splitlines() if line.strip()][:max_lines]
    return "\n    ".join(lines) or "(no message)"
