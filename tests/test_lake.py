"""Lake I/O on a local directory and on S3 (moto in server mode, over real HTTP)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from shared.lake import (
    CorruptObjectError,
    Lake,
    LakeError,
    decode_object,
    encode_ndjson_gz,
    object_key,
    open_lake,
    partition_hour,
)

MOMENT = datetime(2026, 11, 23, 7, 5, 9, 123456, tzinfo=UTC)


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lake]:
    if request.param == "local":
        yield open_lake(str(tmp_path / "lake"))
        return
    request.getfixturevalue("aws")
    boto3.client("s3").create_bucket(Bucket="clicks")
    yield open_lake("s3://clicks/shop-a")


def test_object_key_layout_is_partitioned_by_received_hour() -> None:
    key = object_key("raw", MOMENT, "abc")
    assert key == (
        "raw/year=2026/month=11/day=23/hour=07/events-20261123T070509123456Z-abc.ndjson.gz"
    )
    assert partition_hour(key) == datetime(2026, 11, 23, 7, tzinfo=UTC)
    assert partition_hour("raw/elsewhere.ndjson") is None


def test_keys_are_time_ordered() -> None:
    earlier = object_key("raw", MOMENT, "zzz")
    later = object_key("raw", MOMENT.replace(microsecond=123457), "aaa")
    assert earlier < later


def test_write_then_list_in_key_order_and_read(lake: Lake) -> None:
    keys = [
        object_key("raw", MOMENT.replace(hour=hour), unique) for hour, unique in
        [(9, "b"), (7, "a"), (10, "c"), (7, "b")]
    ]  # fmt: skip
    for number, key in enumerate(keys):
        lake.write(key, encode_ndjson_gz([{"n": number}]))
    lake.write(object_key("invalid", MOMENT, "x"), b"{}\n")

    listed = list(lake.list("raw/"))

    assert [item.key for item in listed] == sorted(keys)
    assert all(item.size > 0 and item.etag for item in listed)
    assert decode_object(lake.read(keys[2])) == b'{"n":2}\n'
    assert [item.key for item in lake.list("invalid/")] == [object_key("invalid", MOMENT, "x")]


def test_listing_an_empty_prefix_yields_nothing(lake: Lake) -> None:
    assert list(lake.list("raw/")) == []


def test_reading_a_missing_object_names_it(lake: Lake) -> None:
    with pytest.raises(LakeError, match=r"nope\.ndjson\.gz"):
        lake.read("raw/nope.ndjson.gz")


def test_encode_is_deterministic_gzip_ndjson() -> None:
    records = [{"a": "é🛒", "b": [1, 2]}, {"c": None}]
    first = encode_ndjson_gz(records)
    assert first == encode_ndjson_gz(records)
    assert gzip.decompress(first).decode() == '{"a":"é🛒","b":[1,2]}\n{"c":null}\n'


def test_decode_reads_plain_objects_and_refuses_truncated_gzip() -> None:
    assert decode_object(b"{}\n") == b"{}\n"
    with pytest.raises(CorruptObjectError, match=r"truncated|corrupt"):
        decode_object(gzip.compress(b"{}\n" * 100)[:-4])


def test_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    lake = open_lake(str(tmp_path))
    lake.write(object_key("raw", MOMENT, "a"), b"{}\n")
    assert [path.name for path in tmp_path.rglob("*") if path.is_file()] == [
        "events-20261123T070509123456Z-a.ndjson.gz"
    ]


def test_s3_url_without_bucket_is_refused() -> None:
    with pytest.raises(LakeError, match="no bucket"):
        open_lake("s3:///prefix")
