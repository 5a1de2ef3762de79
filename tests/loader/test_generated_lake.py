"""A generated lake through the loader: every line lands once, refusals keep the ingest reason."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from loader.core import LoaderSettings, run_load
from shared.lake import open_lake
from tests.conftest import Warehouse
from tests.generator.conftest import generate, read_lake
from tests.loader.conftest import count_lake_lines, landed


def test_a_generated_lake_loads_exactly_once_with_the_ingest_reasons(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    summary = generate(tmp_path, events=4_000, days=2, events_per_object=250, invalid_share=0.02)
    lake = read_lake(tmp_path)

    first = run_load(open_lake(str(tmp_path)), warehouse.url("loader"), LoaderSettings())
    again = run_load(open_lake(str(tmp_path)), warehouse.url("loader"), LoaderSettings())

    assert landed(warehouse) == (len(lake.events), len(lake.rejections))
    assert (first.rows_loaded, first.rows_rejected) == (summary.valid_lines, summary.invalid_lines)
    assert (again.objects_loaded, again.rows_loaded) == (0, 0)
    reasons = warehouse.query(
        "select stage, reason, count(*) from raw.events_rejected group by 1, 2 order by 2"
    )
    assert reasons == sorted(
        (("ingest", reason, count) for reason, count in summary.invalid_by_reason.items()),
        key=lambda row: row[1],
    )
    assert Counter(
        dict(warehouse.query("select payload->>'event_type', count(*) from raw.events group by 1"))
    ) == Counter(event["event_type"] for event in lake.events)
    # The invariant, counted a third way; duplicates are expected (at-least-once delivery).
    assert sum(landed(warehouse)) == count_lake_lines(tmp_path)
    distinct = warehouse.scalar("select count(distinct payload->>'event_id') from raw.events")
    assert distinct == len(lake.first_copies()) == summary.events
