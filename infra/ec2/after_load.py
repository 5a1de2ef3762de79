"""One tick of the warehouse instance's transform timer (every five minutes).

Builds the marts after each load and publishes the instance's health metrics:

1. Loader runs that succeeded since the marts were last built are *pending*. If any of
   them landed objects, run `dbt build` (then `dbt docs generate` for the docs site); if
   none did, the marts are already current and nothing is built. A failed build is
   retried when a new load arrives, or after `TRANSFORM_RETRY_MINUTES` otherwise.
2. Publish to CloudWatch (namespace `METRICS_NAMESPACE`, dimension `Stack`):
   - `DataFreshnessMinutes`: minutes since the start of the newest successful load run
     the marts include: the dashboard shows the lake as it was then (the freshness SLO,
     docs/runbook.md). Not published before the first build, and the alarm treats a
     missing value as breaching, so a stopped instance or timer pages too.
   - `DbtBuildFailed`: 1 while the latest build attempt failed, else 0.
   - `BackupAgeHours`: hours since the last nightly backup (since bootstrap before one).
   - `DataVolumeUsedPercent`: how full the Postgres data directory's file system is.

Run by clickstream-transform.service as the transform role; state between ticks is a
small JSON file in `CLICKSTREAM_STATE_DIR`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:  # run as a script from the release's app/ folder
    sys.path.insert(0, str(PROJECT_ROOT))

from shared.db import component_url, connect  # noqa: E402
from shared.logs import get_logger  # noqa: E402
from shared.settings import env_int, env_str  # noqa: E402

logger = get_logger("transform")

Action = Literal["idle", "advance", "build", "wait"]
DOCS_FILES = ("index.html", "manifest.json", "catalog.json")
STATE_FILE = "transform-state.json"
BACKUP_MARKER = "last-backup-at"
BOOTSTRAP_MARKER = "bootstrapped-at"


@dataclass(frozen=True)
class Settings:
    stack_name: str
    namespace: str
    state_dir: Path
    app_dir: Path
    data_dir: Path
    dbt_command: str
    dbt_target: str
    reporting_timezone: str
    retry_after: timedelta

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            stack_name=env_str("STACK_NAME", "local"),
            namespace=env_str("METRICS_NAMESPACE", "Clickstream"),
            state_dir=Path(env_str("CLICKSTREAM_STATE_DIR", "/var/lib/clickstream")),
            app_dir=Path(env_str("CLICKSTREAM_APP_DIR", str(PROJECT_ROOT))),
            data_dir=Path(env_str("CLICKSTREAM_DATA_DIR", "/var/lib/pgsql/data")),
            dbt_command=env_str("CLICKSTREAM_DBT_COMMAND", "dbt"),
            dbt_target=env_str("DBT_TARGET", "prod"),
            reporting_timezone=env_str("REPORTING_TIMEZONE", "UTC"),
            retry_after=timedelta(minutes=env_int("TRANSFORM_RETRY_MINUTES", 30, minimum=1)),
        )

    @property
    def dbt_target_path(self) -> Path:
        return Path(env_str("DBT_TARGET_PATH", str(self.app_dir / "target")))


@dataclass(frozen=True)
class LoadRun:
    load_id: str
    started_at: datetime
    finished_at: datetime
    objects_loaded: int


@dataclass
class State:
    """What the marts include, and how the last build went."""

    fresh_as_of: datetime | None = None  # started_at of the newest run the marts include
    covered_until: datetime | None = None  # its finished_at: runs after it are pending
    last_attempt_at: datetime | None = None
    last_build_failed: bool = False
    built_load_id: str | None = field(default=None)

    def include(self, run: LoadRun) -> None:
        self.fresh_as_of = run.started_at
        self.covered_until = run.finished_at
        self.built_load_id = run.load_id

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.is_file():
            return cls()
        raw = json.loads(path.read_text())
        times = ("fresh_as_of", "covered_until", "last_attempt_at")
        return cls(
            **{
                key: datetime.fromisoformat(value) if key in times and value else value
                for key, value in raw.items()
            }
        )

    def save(self, path: Path) -> None:
        serialised = {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
        }
        temp = path.with_name(f".{path.name}.tmp")
        temp.write_text(json.dumps(serialised, indent=2) + "\n")
        temp.replace(path)


def decide(state: State, pending: list[LoadRun], now: datetime, retry_after: timedelta) -> Action:
    """What this tick does, given the successful runs the marts do not include yet."""
    if not pending:
        return "idle"
    if not any(run.objects_loaded for run in pending):
        return "advance"
    nothing_new_since_failure = (
        state.last_build_failed
        and state.last_attempt_at is not None
        and pending[-1].finished_at <= state.last_attempt_at
    )
    if nothing_new_since_failure and now - state.last_attempt_at < retry_after:
        return "wait"
    return "build"


def pending_runs(database_url: str, covered_until: datetime | None) -> list[LoadRun]:
    with connect(database_url) as conn:
        rows = conn.execute(
            """
            select load_id::text, started_at, finished_at, objects_loaded
            from raw.load_runs
            where status = 'succeeded'
                and finished_at > coalesce(%s::timestamptz, '-infinity'::timestamptz)
            order by finished_at, load_id
            """,
            (covered_until,),
        ).fetchall()
    return [LoadRun(*row) for row in rows]


def dbt(settings: Settings, *arguments: str) -> bool:
    command = [
        settings.dbt_command,
        *arguments,
        "--project-dir",
        str(settings.app_dir),
        "--profiles-dir",
        os.environ.get("DBT_PROFILES_DIR", str(settings.app_dir)),
        "--target",
        settings.dbt_target,
        "--vars",
        json.dumps({"reporting_timezone": settings.reporting_timezone}),
    ]
    # dbt's own log lines go to the journal; the outcome is the exit status.
    result = subprocess.run(command, cwd=settings.app_dir, check=False)  # noqa: S603
    return result.returncode == 0


def refresh_docs_site(settings: Settings) -> None:
    """`dbt docs generate`, then the three files the static site needs under site/docs/."""
    if not dbt(settings, "docs", "generate"):
        logger.warning("dbt docs generate failed; the docs site keeps its previous version")
        return
    site = settings.state_dir / "site" / "docs"
    site.mkdir(parents=True, exist_ok=True)
    for name in DOCS_FILES:
        source = settings.dbt_target_path / name
        if source.is_file():
            shutil.copyfile(source, site / f".{name}.tmp")
            (site / f".{name}.tmp").replace(site / name)


def marker_time(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(path.read_text().strip()), tz=UTC)
    except (OSError, ValueError):
        return None


def health_metrics(state: State, settings: Settings, now: datetime) -> dict[str, float]:
    metrics: dict[str, float] = {}
    if state.fresh_as_of is not None:
        metrics["DataFreshnessMinutes"] = round((now - state.fresh_as_of).total_seconds() / 60, 1)
    if state.last_attempt_at is not None:
        metrics["DbtBuildFailed"] = 1.0 if state.last_build_failed else 0.0
    backup = marker_time(settings.state_dir / BACKUP_MARKER) or marker_time(
        settings.state_dir / BOOTSTRAP_MARKER
    )
    if backup is not None:
        metrics["BackupAgeHours"] = round((now - backup).total_seconds() / 3600, 2)
    if settings.data_dir.exists():
        usage = shutil.disk_usage(settings.data_dir)
        metrics["DataVolumeUsedPercent"] = round(100 * usage.used / usage.total, 1)
    return metrics


UNITS = {
    "DataFreshnessMinutes": "None",
    "DbtBuildFailed": "Count",
    "BackupAgeHours": "None",
    "DataVolumeUsedPercent": "Percent",
}


def publish(metrics: dict[str, float], settings: Settings, now: datetime) -> None:
    import boto3  # only the tick that publishes pays for botocore's start-up

    boto3.client("cloudwatch").put_metric_data(
        Namespace=settings.namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "Stack", "Value": settings.stack_name}],
                "Timestamp": now,
                "Value": value,
                "Unit": UNITS[name],
            }
            for name, value in metrics.items()
        ],
    )


def tick(settings: Settings, database_url: str) -> dict[str, object]:
    state_path = settings.state_dir / STATE_FILE
    state = State.load(state_path)
    pending = pending_runs(database_url, state.covered_until)
    action = decide(state, pending, datetime.now(UTC), settings.retry_after)
    if action == "advance":
        state.include(pending[-1])
    elif action == "build":
        state.last_attempt_at = datetime.now(UTC)
        state.last_build_failed = not dbt(settings, "build")
        if not state.last_build_failed:
            state.include(pending[-1])
    state.save(state_path)
    if action == "build" and not state.last_build_failed:
        refresh_docs_site(settings)
    now = datetime.now(UTC)
    metrics = health_metrics(state, settings, now)
    if metrics:
        publish(metrics, settings, now)
    summary: dict[str, object] = {"action": action, "pending_runs": len(pending), **metrics}
    logger.info("transform tick", extra=summary)
    return summary


def main() -> int:
    summary = tick(Settings.from_env(), component_url("transform"))
    return 1 if summary["action"] == "build" and summary.get("DbtBuildFailed") else 0


if __name__ == "__main__":
    sys.exit(main())
