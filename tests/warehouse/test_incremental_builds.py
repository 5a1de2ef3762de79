"""Incrementality itself: the same data landed in three loader batches, `dbt build` after
each (and once more with nothing new), must leave every fact, dimension and mart equal,
row for row, to a `--full-refresh` build over the same raw rows.

The traffic is the generator's (retries, late deliveries, bots, sign-ins across days),
in the reporting time zone Asia/Ho_Chi_Minh, plus hand-made cases that each batch
boundary must get right:
  - a late event becomes the new landing of an earlier session: its day and channel
    change, and the visitor's next session, which inherits the channel, follows;
  - a visitor signs in for the first time in batch 3: the earlier anonymous sessions
    belong to that user, whom another device already made active on those days;
  - another first sign-in in batch 3 whose user's other device was active only on a
    later day than one of the visitor's anonymous days (a window holding only the latter
    keeps its counts, the later ones change);
  - a late signed-in event from before a shared tablet's first sign-in moves it to
    another user (a previous user_id) whose phone was active the same days;
  - an earlier-received copy of an event lands after the first copy (a dead-letter
    replay): it wins, and its corrected time moves the session's start;
  - a session gets enough extra events in batch 2 to become a bot.
The first build runs before anything is loaded (an empty target).
"""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import pytest

from cli.main import main as clickstream
from generator import GeneratorConfig, generate_to_lake
from loader.core import run_load
from shared.lake import open_lake
from shared.settings import EnrichmentSettings, IngestLimits
from tests.conftest import Warehouse
from tests.warehouse.conftest import build, relation_rows
from tests.warehouse.lake_events import CHROME_DESKTOP, IPHONE, LakeWriter, event

VARS = ("--vars", "{reporting_timezone: Asia/Ho_Chi_Minh}")
SKIP_UNIT_TESTS = ("--exclude-resource-type", "unit_test")  # they ran in test_marts_by_hand
SHOP = "https://shop.example"
COMPARED = {
    "marts.fact_events": (),
    "marts.fact_sessions": (),
    "marts.dim_date": (),
    "marts.dim_product": (),
    "marts.mart_traffic_daily": (),
    "marts.mart_engagement_daily": (),
    "marts.mart_funnel_daily": (),
    "marts.mart_product_daily": (),
    "marts.mart_acquisition_daily": (),
    "marts.mart_search_daily": (),
    "marts.mart_cart_abandonment_daily": (),
    "marts.mart_pipeline_health_hourly": (),
    "marts.mart_rejections_hourly": (),
    # Columns of the moment (the query's and the latest loader run's), not of the data:
    "marts.mart_data_freshness": (
        "checked_at",
        "last_built_at",
        "seconds_since_last_received",
        "last_load_finished_at",
    ),
}
BATCH_DAYS = (("01", "02"), ("03",), ("04",))


def generated_lake(root: Path) -> None:
    config = GeneratorConfig(
        seed=7,
        days=4,
        end=date(2025, 6, 5),
        events=6_000,
        events_per_object=200,
        limits=IngestLimits(),
        enrichment=EnrichmentSettings(),
    )
    generate_to_lake(str(root), config)


def hand_made_batches(roots: list[Path]) -> None:
    """The edge cases, written into the lake folders of batch 1, 2 and 3."""
    first, second, third = (LakeWriter(root) for root in roots)
    # A visitor whose next session inherits the first one's channel (self-referral).
    first.request(
        [event("z1-a", "2025-06-02 17:01:00", "view", "Z1", "z1", f"{SHOP}/")],
        "2025-06-02 17:01:01", CHROME_DESKTOP, "VN",
    )  # fmt: skip
    first.request(
        [event("z2-a", "2025-06-02 18:00:00", "view", "Z2", "z1", f"{SHOP}/c/laptops",
               referrer=f"{SHOP}/")],
        "2025-06-02 18:00:01", CHROME_DESKTOP, "VN",
    )  # fmt: skip
    # 16:59 UTC is 23:59 in Ho Chi Minh City: Z1 now starts the day before, from Google.
    third.request(
        [event("z1-late", "2025-06-02 16:59:00", "view", "Z1", "z1", f"{SHOP}/",
               referrer="https://www.google.com/")],
        "2025-06-04 08:00:00", CHROME_DESKTOP, "VN",
    )  # fmt: skip
    # Two devices of one customer: z3 signed in from the start, z4 signs in only in batch 3.
    first.request(
        [event("z3-a", "2025-06-01 09:00:00", "view", "Z3", "z3", f"{SHOP}/", user_id="cus_z")],
        "2025-06-01 09:00:01", CHROME_DESKTOP, "VN",
    )  # fmt: skip
    first.request(
        [event("z4-a", "2025-06-01 10:00:00", "view", "Z4", "z4", f"{SHOP}/")],
        "2025-06-01 10:00:01", IPHONE, "VN",
    )  # fmt: skip
    third.request(
        [event("z4-b", "2025-06-04 10:00:00", "view", "Z5", "z4", f"{SHOP}/", user_id="cus_z")],
        "2025-06-04 10:00:01", IPHONE, "VN",
    )  # fmt: skip
    # z8 browses anonymously on 1 and 3 June; cus_y's other device z9 is active on 2 June.
    first.request(
        [event("z8-a", "2025-06-01 09:00:00", "view", "Z8", "z8", f"{SHOP}/")],
        "2025-06-01 09:00:01", IPHONE, "VN",
    )  # fmt: skip
    first.request(
        [event("z9-a", "2025-06-02 09:00:00", "view", "Z9", "z9", f"{SHOP}/", user_id="cus_y")],
        "2025-06-02 09:00:01", CHROME_DESKTOP, "VN",
    )  # fmt: skip
    second.request(
        [event("z8-b", "2025-06-03 09:00:00", "view", "Z10", "z8", f"{SHOP}/")],
        "2025-06-03 09:00:01", IPHONE, "VN",
    )  # fmt: skip
    third.request(
        [event("z8-c", "2025-06-04 09:00:00", "view", "Z11", "z8", f"{SHOP}/", user_id="cus_y")],
        "2025-06-04 09:00:01", IPHONE, "VN",
    )  # fmt: skip
    # A shared tablet t1: anonymous on 1 June, signed in as cus_p on 2 June (with an
    # anonymous event after it); cus_q's phone q1 is active on 2 June. A late event from
    # 1 June signed in as cus_q makes cus_q the tablet's first user_id.
    first.request(
        [event("t1-a", "2025-06-01 11:00:00", "view", "T1", "t1", f"{SHOP}/"),
         event("t1-b", "2025-06-02 11:00:00", "view", "T2", "t1", f"{SHOP}/", user_id="cus_p"),
         event("t1-c", "2025-06-02 11:05:00", "view", "T2", "t1", f"{SHOP}/p/x")],
        "2025-06-02 11:05:01", CHROME_DESKTOP, "VN",
    )  # fmt: skip
    first.request(
        [event("q1-a", "2025-06-02 12:00:00", "view", "Q1", "q1", f"{SHOP}/", user_id="cus_q")],
        "2025-06-02 12:00:01", IPHONE, "VN",
    )  # fmt: skip
    third.request(
        [event("t1-late", "2025-06-01 10:00:00", "view", "T0", "t1", f"{SHOP}/",
               user_id="cus_q")],
        "2025-06-04 07:00:00", CHROME_DESKTOP, "VN",
    )  # fmt: skip
    # One event, two copies: the one received first lands last (a dead-letter replay).
    replayed = event("z6-a", "2025-06-02 12:00:00", "view", "Z6", "z6", f"{SHOP}/p/x")
    first.request([replayed], "2025-06-02 12:00:30", IPHONE, "SG", sent_at="2025-06-02 12:00:05")
    third.request([replayed], "2025-06-02 12:00:06", IPHONE, "SG", sent_at="2025-06-02 12:00:05")
    # 15 events in 30 s is human enough; 20 more in the same 30 s make it a bot.
    burst = [
        event(f"z7-{n}", f"2025-06-02 14:00:{n:02d}", "click", "Z7", "z7", f"{SHOP}/")
        for n in range(35)
    ]
    first.request(burst[:15], "2025-06-02 14:00:31", CHROME_DESKTOP, "US")
    second.request(burst[15:], "2025-06-03 14:00:31", CHROME_DESKTOP, "US")


def batch_of(key: str) -> int:
    day = key.split("/day=")[1][:2]
    return next(number for number, days in enumerate(BATCH_DAYS) if day in days)


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three lake folders holding the three batches' objects (keys as in one lake)."""
    generated = tmp_path_factory.mktemp("generated")
    generated_lake(generated)
    roots = [tmp_path_factory.mktemp(f"batch{number + 1}") for number in range(3)]
    for path in sorted(generated.rglob("*.ndjson.gz")):
        key = path.relative_to(generated).as_posix()
        target = roots[batch_of(key)] / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    hand_made_batches(roots)
    return roots


def land(lake: Path, batch: Path, target: Warehouse) -> None:
    """Add a batch's objects to the lake and run the loader once."""
    shutil.copytree(batch, lake, dirs_exist_ok=True)
    summary = run_load(open_lake(str(lake)), target.url("loader"))
    assert summary.status == "succeeded"
    assert summary.objects_loaded > 0


def snapshot(target: Warehouse) -> dict[str, list[tuple]]:
    return {
        relation: relation_rows(target, relation, exclude=("processed_at", *excluded))
        for relation, excluded in COMPARED.items()
    }


def run_command(target: Warehouse, lake: Path) -> str:
    """`clickstream run --lake LAKE` against the warehouse; returns what it printed."""
    output = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(output):
        patch.setenv("DATABASE_URL", target.admin_url)
        status = clickstream(["run", "--lake", str(lake), *VARS, "--exclude", "test_type:unit"])
    assert status == 0, output.getvalue()
    return output.getvalue()


@pytest.fixture(scope="module")
def builds(
    module_warehouse: Warehouse,
    dbt_dirs: Path,
    batches: list[Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, list[tuple]]]:
    lake = tmp_path_factory.mktemp("lake")
    states: dict[str, dict[str, list[tuple]]] = {}
    build(module_warehouse, "build", *VARS, *SKIP_UNIT_TESTS)
    states["empty"] = snapshot(module_warehouse)
    for number, batch in enumerate(batches, start=1):
        land(lake, batch, module_warehouse)
        build(module_warehouse, "build", *VARS, *SKIP_UNIT_TESTS)
        states[f"batch {number}"] = snapshot(module_warehouse)
    # The same again through the command line: nothing new to load, nothing to change.
    states["clickstream run"] = run_command(module_warehouse, lake)
    states["no new data"] = snapshot(module_warehouse)
    build(module_warehouse, "build", "--full-refresh", *VARS, *SKIP_UNIT_TESTS)
    states["full refresh"] = snapshot(module_warehouse)
    return states


def test_the_first_build_on_an_empty_warehouse_builds_empty_marts(
    builds: dict[str, dict[str, list[tuple]]],
) -> None:
    tables = {name: rows for name, rows in builds["empty"].items() if "freshness" not in name}
    assert all(rows == [] for rows in tables.values())
    (freshness,) = builds["empty"]["marts.mart_data_freshness"]
    assert freshness == (None, None, None, 0, None)  # one row, nothing known yet


@pytest.mark.parametrize("relation", sorted(COMPARED))
def test_incremental_builds_equal_a_full_refresh(
    builds: dict[str, dict[str, list[tuple]]], relation: str
) -> None:
    incremental, full = builds["no new data"][relation], builds["full refresh"][relation]
    assert full, f"{relation} is empty: the scenario does not exercise it"
    assert incremental == full


def test_a_run_without_new_data_changes_nothing(
    builds: dict[str, dict[str, list[tuple]]],
) -> None:
    printed = builds["clickstream run"]
    assert "loaded 0 objects: 0 rows" in printed
    assert "dbt build: 27 models, 3 seeds" in printed
    assert builds["no new data"] == builds["batch 3"]


def test_each_batch_changed_the_marts(builds: dict[str, dict[str, list[tuple]]]) -> None:
    """The comparison above means something only if later batches reached old rows."""
    sessions = [builds[name]["marts.fact_sessions"] for name in ("batch 1", "batch 2", "batch 3")]
    assert sessions[0] != sessions[1] != sessions[2]
    first, last = ({row[0]: row for row in state} for state in (sessions[0], sessions[2]))
    rewritten = [key for key in first.keys() & last.keys() if first[key] != last[key]]
    assert len(rewritten) >= 3  # Z1, Z2 and Z4 at least were rewritten by batch 3
    assert "Z7" in first
    assert "Z7" not in last  # became a bot in batch 2
