"""infra/ec2/after_load.py, the instance's five-minute tick: when it builds the marts, what
it reads from `raw.load_runs` (as the transform role, on a real Postgres) and the health
metrics it publishes (to CloudWatch on moto, where the template's alarms look for them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from tests.conftest import Warehouse
from tests.infra.cfn import module_from_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RETRY = timedelta(minutes=30)


AFTER_LOAD = module_from_file(PROJECT_ROOT / "infra" / "ec2" / "after_load.py", "after_load")


def run(minutes_ago: int, objects: int, duration: int = 2) -> object:
    started = NOW - timedelta(minutes=minutes_ago)
    return AFTER_LOAD.LoadRun(
        str(uuid.uuid4()), started, started + timedelta(minutes=duration), objects
    )


def failed_state(attempt_minutes_ago: int) -> object:
    return AFTER_LOAD.State(
        last_attempt_at=NOW - timedelta(minutes=attempt_minutes_ago), last_build_failed=True
    )


# ---------------------------------------------------------------- decide


def test_no_new_successful_load_means_nothing_to_do() -> None:
    assert AFTER_LOAD.decide(AFTER_LOAD.State(), [], NOW, RETRY) == "idle"


def test_loads_that_landed_nothing_advance_the_marker_without_a_build() -> None:
    pending = [run(20, objects=0), run(10, objects=0)]
    assert AFTER_LOAD.decide(AFTER_LOAD.State(), pending, NOW, RETRY) == "advance"


def test_a_load_that_landed_objects_triggers_a_build() -> None:
    pending = [run(20, objects=0), run(10, objects=3)]
    assert AFTER_LOAD.decide(AFTER_LOAD.State(), pending, NOW, RETRY) == "build"


def test_after_a_failed_build_the_same_loads_wait_for_the_retry_interval() -> None:
    pending = [run(40, objects=5)]  # finished 38 minutes ago, before the failed attempt
    assert AFTER_LOAD.decide(failed_state(10), pending, NOW, RETRY) == "wait"
    assert AFTER_LOAD.decide(failed_state(31), pending, NOW, RETRY) == "build"


def test_a_new_load_after_a_failed_build_is_built_at_once() -> None:
    pending = [run(40, objects=5), run(6, objects=1)]  # the second finished 4 minutes ago
    assert AFTER_LOAD.decide(failed_state(10), pending, NOW, RETRY) == "build"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = AFTER_LOAD.State()
    state.include(run(30, objects=2))
    state.last_attempt_at = NOW
    path = tmp_path / "state.json"
    state.save(path)
    assert AFTER_LOAD.State.load(path) == state


# ---------------------------------------------------------------- what the tick reads


def insert_run(warehouse: Warehouse, status: str, finished_at: datetime, objects: int) -> str:
    load_id = str(uuid.uuid4())
    warehouse.query(
        "insert into raw.load_runs (load_id, started_at, finished_at, status, objects_loaded)"
        " values (%s, %s, %s, %s, %s) returning load_id",
        (load_id, finished_at - timedelta(minutes=3), finished_at, status, objects),
    )
    return load_id


def test_pending_runs_are_the_succeeded_runs_after_the_marker_read_as_the_transform_role(
    warehouse: Warehouse,
) -> None:
    covered = NOW - timedelta(hours=2)
    insert_run(warehouse, "succeeded", covered, 4)  # already in the marts
    later = insert_run(warehouse, "succeeded", NOW - timedelta(hours=1), 2)
    insert_run(warehouse, "failed", NOW - timedelta(minutes=30), 0)
    latest = insert_run(warehouse, "succeeded", NOW - timedelta(minutes=10), 0)

    pending = AFTER_LOAD.pending_runs(warehouse.url("transform"), covered)

    assert [(run.load_id, run.objects_loaded) for run in pending] == [(later, 2), (latest, 0)]
    assert len(AFTER_LOAD.pending_runs(warehouse.url("transform"), None)) == 3


# ---------------------------------------------------------------- what the tick publishes


def settings(tmp_path: Path) -> object:
    return AFTER_LOAD.Settings(
        stack_name="shop-analytics",
        namespace="Clickstream",
        state_dir=tmp_path,
        app_dir=PROJECT_ROOT,
        data_dir=tmp_path,
        dbt_command="dbt",
        dbt_target="prod",
        reporting_timezone="UTC",
        retry_after=RETRY,
    )


def test_health_metrics_measure_freshness_build_backup_and_disk(tmp_path: Path) -> None:
    state = AFTER_LOAD.State(
        fresh_as_of=NOW - timedelta(minutes=95), last_attempt_at=NOW, last_build_failed=True
    )
    backup_at = NOW - timedelta(hours=30)
    (tmp_path / "last-backup-at").write_text(f"{int(backup_at.timestamp())}\n")

    metrics = AFTER_LOAD.health_metrics(state, settings(tmp_path), NOW)

    assert metrics["DataFreshnessMinutes"] == 95.0
    assert metrics["DbtBuildFailed"] == 1.0
    assert metrics["BackupAgeHours"] == 30.0
    assert 0 < metrics["DataVolumeUsedPercent"] <= 100


def test_before_the_first_build_no_freshness_is_published_so_the_alarm_sees_silence(
    tmp_path: Path,
) -> None:
    (tmp_path / "bootstrapped-at").write_text(f"{int((NOW - timedelta(hours=2)).timestamp())}")
    metrics = AFTER_LOAD.health_metrics(AFTER_LOAD.State(), settings(tmp_path), NOW)
    assert "DataFreshnessMinutes" not in metrics
    assert "DbtBuildFailed" not in metrics
    assert metrics["BackupAgeHours"] == 2.0  # counted from the bootstrap before any backup


@pytest.mark.usefixtures("aws")
def test_metrics_reach_cloudwatch_under_the_stack_dimension_the_alarms_use(
    tmp_path: Path,
) -> None:
    published = {"DataFreshnessMinutes": 12.5, "DbtBuildFailed": 0.0, "BackupAgeHours": 3.0}

    AFTER_LOAD.publish(published, settings(tmp_path), datetime.now(UTC))

    listed = boto3.client("cloudwatch").list_metrics(Namespace="Clickstream")["Metrics"]
    assert {metric["MetricName"] for metric in listed} == set(published)
    assert all(
        metric["Dimensions"] == [{"Name": "Stack", "Value": "shop-analytics"}] for metric in listed
    )
