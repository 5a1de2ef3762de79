"""Group commit (ingest.storage.GroupCommitWriter) on a real local lake, with real threads.

A gate in front of the lake holds the first write until the test has queued the writes
that must share the next one, so which writes group together is certain, not timing luck.
The lake is read back with gzip and json (tests.ingest.conftest), not with the code under
test.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ingest.storage import GroupCommitWriter
from shared.lake import LakeError, LocalLake
from tests.ingest.conftest import read_area

HOUR_10 = "raw/year=2026/month=11/day=23/hour=10"
HOUR_11 = "raw/year=2026/month=11/day=23/hour=11"


class GatedLake(LocalLake):
    """The real local lake; its first write waits until the gate opens."""

    def __init__(self, root: Path, refuse: set[str] = frozenset()) -> None:
        super().__init__(root)
        self.gate = threading.Event()
        self.writes: list[str] = []
        self.refuse = refuse

    def write(self, key: str, data: bytes) -> None:
        if not self.writes:
            self.writes.append(key)
            self.gate.wait(timeout=10)
        else:
            self.writes.append(key)
        if key in self.refuse:
            raise LakeError(f"cannot write {key}: refused by the test")
        super().write(key, data)


def member(*records: dict) -> bytes:
    """One request's object: a gzip member of NDJSON lines."""
    return gzip.compress(b"".join(json.dumps(record).encode() + b"\n" for record in records))


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the writes did not queue up within 10 s"
        time.sleep(0.005)


def start_writes(
    writer: GroupCommitWriter, writes: list[tuple[str, bytes]], errors: dict[str, Exception]
) -> list[threading.Thread]:
    def write(key: str, data: bytes) -> None:
        try:
            writer.write(key, data)
        except LakeError as exc:
            errors[key] = exc

    threads = [threading.Thread(target=write, args=write_args) for write_args in writes]
    for thread in threads:
        thread.start()
    return threads


def test_writes_arriving_during_a_write_share_the_next_one_per_folder(tmp_path: Path) -> None:
    lake = GatedLake(tmp_path / "lake")
    writer = GroupCommitWriter(lake)
    errors: dict[str, Exception] = {}
    [first] = start_writes(writer, [(f"{HOUR_10}/events-1.ndjson.gz", member({"n": 1}))], errors)
    wait_until(lambda: lake.writes)  # the first write is in flight, held at the gate
    later = [
        (f"{HOUR_10}/events-4.ndjson.gz", member({"n": 4})),
        (f"{HOUR_10}/events-2.ndjson.gz", member({"n": 2}, {"n": 3})),
        (f"{HOUR_11}/events-5.ndjson.gz", member({"n": 5})),
    ]
    threads = start_writes(writer, later, errors)
    wait_until(lambda: len(writer._waiting) == 3)
    assert all(thread.is_alive() for thread in [first, *threads])  # nobody answered yet

    lake.gate.set()
    for thread in [first, *threads]:
        thread.join(timeout=10)

    assert errors == {}
    # One write for the first, then one per folder for those that waited, in key order.
    assert lake.writes == [
        f"{HOUR_10}/events-1.ndjson.gz",
        f"{HOUR_10}/events-2.ndjson.gz",
        f"{HOUR_11}/events-5.ndjson.gz",
    ]
    assert read_area(tmp_path / "lake", "raw") == [
        (f"{HOUR_10}/events-1.ndjson.gz", [{"n": 1}]),
        (f"{HOUR_10}/events-2.ndjson.gz", [{"n": 2}, {"n": 3}, {"n": 4}]),
        (f"{HOUR_11}/events-5.ndjson.gz", [{"n": 5}]),
    ]


def test_a_lone_write_goes_out_at_once_under_its_own_key(tmp_path: Path) -> None:
    writer = GroupCommitWriter(LocalLake(tmp_path / "lake"))
    writer.write(f"{HOUR_10}/events-9.ndjson.gz", member({"n": 9}))
    writer.write(f"{HOUR_10}/events-8.ndjson.gz", member({"n": 8}))
    assert read_area(tmp_path / "lake", "raw") == [
        (f"{HOUR_10}/events-8.ndjson.gz", [{"n": 8}]),
        (f"{HOUR_10}/events-9.ndjson.gz", [{"n": 9}]),
    ]


def test_a_refused_group_write_fails_each_of_its_callers_and_only_them(tmp_path: Path) -> None:
    refused = f"{HOUR_10}/events-2.ndjson.gz"
    lake = GatedLake(tmp_path / "lake", refuse={refused})
    writer = GroupCommitWriter(lake)
    errors: dict[str, Exception] = {}
    [first] = start_writes(writer, [(f"{HOUR_10}/events-1.ndjson.gz", member({"n": 1}))], errors)
    wait_until(lambda: lake.writes)
    later = [
        (refused, member({"n": 2})),
        (f"{HOUR_10}/events-3.ndjson.gz", member({"n": 3})),
        (f"{HOUR_11}/events-4.ndjson.gz", member({"n": 4})),
    ]
    threads = start_writes(writer, later, errors)
    wait_until(lambda: len(writer._waiting) == 3)
    lake.gate.set()
    for thread in [first, *threads]:
        thread.join(timeout=10)

    # The hour-10 group (2 and 3) was refused: both callers hear it; the others are stored.
    assert sorted(errors) == [refused, f"{HOUR_10}/events-3.ndjson.gz"]
    assert all(isinstance(error, LakeError) for error in errors.values())
    stored = [records for _, records in read_area(tmp_path / "lake", "raw")]
    assert stored == [[{"n": 1}], [{"n": 4}]]
    # The writer is free again: the next write goes through.
    writer.write(f"{HOUR_10}/events-6.ndjson.gz", member({"n": 6}))
    assert [{"n": 6}] in [records for _, records in read_area(tmp_path / "lake", "raw")]


def test_many_threads_each_return_only_once_their_data_is_in_the_lake(tmp_path: Path) -> None:
    writers = 16
    writer = GroupCommitWriter(LocalLake(tmp_path / "lake"))
    missing: list[int] = []

    def write(number: int) -> None:
        writer.write(f"{HOUR_10}/events-{number:03d}.ndjson.gz", member({"n": number}))
        found = [r["n"] for _, records in read_area(tmp_path / "lake", "raw") for r in records]
        if number not in found:
            missing.append(number)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert missing == []
    stored = sorted(r["n"] for _, records in read_area(tmp_path / "lake", "raw") for r in records)
    assert stored == list(range(writers))
