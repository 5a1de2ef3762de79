"""The loader against a real Postgres and real gzip files (SPEC §5, issue 2 fault list)."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

from loader.core import LoaderSettings, run_load
from shared.lake import open_lake
from tests.conftest import Warehouse
from tests.loader.conftest import (
    HOUR,
    assert_every_line_accounted_for,
    count_lake_lines,
    event_line,
    landed,
    write_numbered_objects,
    write_object,
)


def load(warehouse: Warehouse, lake: Path, **settings: int):
    return run_load(open_lake(str(lake)), warehouse.url("loader"), LoaderSettings(**settings))


def test_loads_every_line_once_and_a_rerun_loads_nothing(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    lines = write_numbered_objects(lake_dir, objects=12, lines_per_object=25)

    first = load(warehouse, lake_dir, batch_max_objects=5)
    second = load(warehouse, lake_dir, batch_max_objects=5)

    assert (first.status, first.objects_loaded, first.rows_loaded) == ("succeeded", 12, 300)
    assert (second.objects_loaded, second.rows_loaded, second.rows_rejected) == (0, 0, 0)
    assert landed(warehouse) == (lines, 0)
    assert warehouse.scalar("select count(*) from raw.load_manifest") == 12
    assert warehouse.scalar("select count(distinct load_id) from raw.events") == 1
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_manifest_rows_count_each_objects_lines(warehouse: Warehouse, lake_dir: Path) -> None:
    key = write_object(lake_dir, [event_line(1), b"not json", event_line(2)])
    load(warehouse, lake_dir)
    assert warehouse.query(
        "select lines, rows_loaded, rows_rejected from raw.load_manifest where object_key = %s",
        (key,),
    ) == [(3, 2, 1)]
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_json_survives_copy_byte_for_byte(warehouse: Warehouse, lake_dir: Path) -> None:
    """Text-format COPY would eat the backslash of \\" — binary COPY must not."""
    tricky = {
        "quote": 'say "hi" \\ back\\slash \\n not a newline',
        "emoji": "🛒💻 ok",
        "rtl": "مرحبا بالعالم",
        "vietnamese": "Bàn phím cơ",
        "tab": "a\tb",
        "escaped_unicode": "é",
    }
    write_object(lake_dir, [event_line(7, props=tricky)])
    load(warehouse, lake_dir)
    stored = warehouse.scalar("select payload -> 'props' from raw.events")
    assert stored == tricky
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_each_bad_line_is_rejected_with_its_reason_and_the_rest_loads(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    two_megabytes = b'{"pad": "' + b"x" * (2 << 20) + b'"}'
    lines = [
        event_line(1),
        b"\xff\xfe not utf-8",
        event_line(2),
        b'{"text": "nul \\u0000 inside"}',
        two_megabytes,
        b'[{"an": "array"}]',
        b"{not json",
        b"",
        event_line(3),
    ]
    key = write_object(lake_dir, lines)
    write_object(lake_dir, [], unique="empty-gzip")  # a gzip of nothing
    write_object(lake_dir, [], unique="empty-file", compress=False)  # zero bytes

    summary = load(warehouse, lake_dir)

    assert (summary.rows_loaded, summary.rows_rejected, summary.objects_empty) == (3, 6, 2)
    reasons = warehouse.query(
        "select line_no, stage, reason, raw_bytes from raw.events_rejected"
        " where object_key = %s order by line_no",
        (key,),
    )
    assert reasons == [
        (2, "loader", "encoding", 12),
        (4, "loader", "encoding", 29),
        (5, "loader", "too_large", len(two_megabytes)),
        (6, "loader", "not_object", 17),
        (7, "loader", "invalid_json", 9),
        (8, "loader", "empty_line", 0),
    ]
    # The exact bytes are kept (the oversized line up to the line limit) for later inspection.
    assert (
        warehouse.scalar("select raw_line from raw.events_rejected where line_no = 2")
        == b"\xff\xfe not utf-8"
    )
    assert (
        len(warehouse.scalar("select raw_line from raw.events_rejected where line_no = 5"))
        == LoaderSettings().max_line_bytes
    )
    # An empty object is counted (in the manifest, with no lines) and never retried.
    assert warehouse.query(
        "select bytes > 0, lines, rows_loaded, rows_rejected from raw.load_manifest"
        " where object_key like '%%empty-%%' order by object_key"
    ) == [(False, 0, 0, 0), (True, 0, 0, 0)]  # empty-file, then empty-gzip
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_a_line_postgres_refuses_is_rejected_not_fatal(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    """Valid JSON that jsonb cannot hold (a number beyond numeric's scale) is rejected alone."""
    beyond_numeric = b'{"price": 0.' + b"0" * 20000 + b"1}"
    key = write_object(lake_dir, [event_line(1), beyond_numeric, event_line(2)])
    write_object(lake_dir, [event_line(3)], unique="zz-neighbour")

    summary = load(warehouse, lake_dir)

    assert (summary.rows_loaded, summary.rows_rejected) == (3, 1)
    assert warehouse.query(
        "select line_no, reason, detail like 'Postgres refused the JSON%%'"
        " from raw.events_rejected where object_key = %s",
        (key,),
    ) == [(2, "invalid_json", True)]
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_truncated_gzip_is_recorded_skipped_and_retried(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    good = write_object(lake_dir, [event_line(1), event_line(2)], unique="a-good")
    bad = write_object(lake_dir, [event_line(3), event_line(4)], unique="b-bad")
    path = lake_dir / bad
    intact = path.read_bytes()
    path.write_bytes(intact[:-6])  # cut the gzip trailer

    first = load(warehouse, lake_dir)
    second = load(warehouse, lake_dir)

    assert (first.objects_loaded, first.objects_failed) == (1, 1)
    assert (second.objects_loaded, second.objects_failed) == (0, 1)
    assert warehouse.query(
        "select object_key, attempts, reason like '%%truncated%%' from raw.load_failures"
    ) == [(bad, 2, True)]
    assert (
        warehouse.scalar("select count(*) from raw.events where object_key = %s", (bad,)) == 0
    )  # never half-loaded
    assert warehouse.scalar("select count(*) from raw.events where object_key = %s", (good,)) == 2

    path.write_bytes(intact)  # the producer re-uploads the object
    third = load(warehouse, lake_dir)
    assert (third.objects_loaded, third.rows_loaded) == (1, 2)
    assert warehouse.scalar("select count(*) from raw.load_failures") == 0
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_corrupt_gzip_is_a_failure_with_its_reason(warehouse: Warehouse, lake_dir: Path) -> None:
    key = write_object(lake_dir, [event_line(1)])
    path = lake_dir / key
    data = bytearray(path.read_bytes())
    data[12:20] = b"\x00" * 8
    path.write_bytes(bytes(data))

    summary = load(warehouse, lake_dir)

    assert summary.objects_failed == 1
    assert summary.failures[0]["object_key"] == key
    assert "gzip" in summary.failures[0]["reason"]
    assert warehouse.query("select object_key from raw.load_failures") == [(key,)]
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_plain_and_multi_member_gzip_objects_load(warehouse: Warehouse, lake_dir: Path) -> None:
    write_object(lake_dir, [event_line(1), event_line(2)], compress=False, unique="plain")
    concatenated = gzip.compress(event_line(3) + b"\n") + gzip.compress(event_line(4) + b"\n")
    key = write_object(lake_dir, [], unique="multi")
    (lake_dir / key).write_bytes(concatenated)

    summary = load(warehouse, lake_dir)

    assert summary.rows_loaded == 4
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_an_object_arriving_late_in_an_old_partition_loads_next_run(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    write_object(lake_dir, [event_line(1)], at=HOUR + timedelta(hours=5))
    load(warehouse, lake_dir)

    late = write_object(lake_dir, [event_line(2), event_line(3)], at=HOUR - timedelta(days=3))
    summary = load(warehouse, lake_dir)

    assert (summary.objects_loaded, summary.rows_loaded) == (1, 2)
    assert warehouse.scalar("select count(*) from raw.events where object_key = %s", (late,)) == 2
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_objects_load_oldest_partition_first(warehouse: Warehouse, lake_dir: Path) -> None:
    newer = write_object(lake_dir, [event_line(1)], at=HOUR + timedelta(hours=1), unique="a")
    older = write_object(lake_dir, [event_line(2)], at=HOUR, unique="z")

    load(warehouse, lake_dir, batch_max_objects=1, workers=1)

    order = [key for (key,) in warehouse.query(
        "select object_key from raw.load_manifest order by loaded_at, object_key"
    )]  # fmt: skip
    assert order == [older, newer]
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_invalid_objects_land_in_rejected_with_the_ingest_reason(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    records = [
        {
            "received_at": "2026-11-20T10:00:01.000000Z",
            "request_id": "r-1",
            "reason": "schema",
            "detail": "ts: Input should have timezone",
            "event_index": 0,
            "payload": {"event_id": "e-1", "ts": "2026-11-20T10:00:00"},
            "schema_version": "1-0-0",
        },
        {
            "received_at": "2026-11-20T10:00:02.000000Z",
            "request_id": "r-2",
            "reason": "unparseable",
            "detail": "body is not JSON",
            "payload_base64": "e25vdA==",
            "schema_version": "1-0-0",
        },
    ]
    lines = [json.dumps(record).encode() for record in records] + [b"garbage"]
    key = write_object(lake_dir, lines, area="invalid")

    load(warehouse, lake_dir)

    assert warehouse.query(
        "select line_no, stage, reason, detail, event_id, received_at is not null"
        " from raw.events_rejected where object_key = %s order by line_no",
        (key,),
    ) == [
        (1, "ingest", "schema", "ts: Input should have timezone", "e-1", True),
        (2, "ingest", "unparseable", "body is not JSON", None, True),
        (
            3, "loader", "invalid_record",
            "line under invalid/ is not an ingest rejection record (JSON with a reason)",
            None, False,
        ),
    ]  # fmt: skip
    assert landed(warehouse) == (0, 3)
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_a_deadline_leaves_remaining_batches_for_the_next_run(
    warehouse: Warehouse, lake_dir: Path
) -> None:
    write_numbered_objects(lake_dir, objects=4, lines_per_object=3)

    partial = run_load(
        open_lake(str(lake_dir)),
        warehouse.url("loader"),
        LoaderSettings(batch_max_objects=1),
        deadline=0.0,
    )
    rest = load(warehouse, lake_dir)

    assert (partial.objects_loaded, partial.objects_pending) == (0, 4)
    assert rest.objects_loaded == 4
    assert_every_line_accounted_for(warehouse, lake_dir)


def test_every_run_is_recorded(warehouse: Warehouse, lake_dir: Path) -> None:
    write_numbered_objects(lake_dir, objects=2, lines_per_object=5)
    summary = load(warehouse, lake_dir)
    assert warehouse.query(
        "select status, objects_loaded, rows_loaded, rows_rejected, finished_at is not null"
        " from raw.load_runs where load_id = %s",
        (summary.load_id,),
    ) == [("succeeded", 2, 10, 0, True)]
    assert summary.lag_seconds is not None and summary.lag_seconds >= 0
    assert count_lake_lines(Path(lake_dir)) == 10
    assert_every_line_accounted_for(warehouse, lake_dir)
