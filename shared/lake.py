"""The lake: gzipped NDJSON objects under `raw/` and `invalid/` (SPEC §4).

One small interface over a local directory and `s3://bucket/prefix`, with the same key
layout on both: list keys in key order under a prefix, read an object, write an object.
A write returns only once the object is durable (fsync'd file, or S3's acknowledgement).
"""

from __future__ import annotations

import gzip
import os
import secrets
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

RAW = "raw"
INVALID = "invalid"
Area = Literal["raw", "invalid"]
GZIP_MAGIC = b"\x1f\x8b"
TEMP_PREFIX = ".tmp-"


class LakeError(RuntimeError):
    """The lake cannot be read or written; the message names the location."""


class CorruptObjectError(LakeError):
    """An object's bytes cannot be decoded (truncated or corrupt gzip)."""


@dataclass(frozen=True)
class LakeObject:
    key: str
    size: int
    etag: str
    last_modified: datetime


class Lake(Protocol):
    url: str

    def list(self, prefix: str) -> Iterator[LakeObject]:
        """Objects whose key starts with `prefix`, in key order."""
        ...

    def read(self, key: str) -> bytes: ...

    def write(self, key: str, data: bytes) -> None: ...


def object_key(area: Area, received_at: datetime, unique: str | None = None) -> str:
    """`raw/year=YYYY/month=MM/day=DD/hour=HH/events-<time-ordered id>.ndjson.gz`."""
    moment = received_at.astimezone(UTC)
    token = unique if unique is not None else secrets.token_hex(6)
    return (
        f"{area}/year={moment:%Y}/month={moment:%m}/day={moment:%d}/hour={moment:%H}/"
        f"events-{moment:%Y%m%dT%H%M%S%fZ}-{token}.ndjson.gz"
    )


def partition_hour(key: str) -> datetime | None:
    """The UTC hour a key is partitioned under, or None for keys outside the layout."""
    parts = dict(segment.split("=", 1) for segment in key.split("/") if "=" in segment)
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            tzinfo=UTC,
        )
    except (KeyError, ValueError):
        return None


def encode_ndjson_gz(records: Iterable[dict[str, Any]]) -> bytes:
    """One JSON object per line, UTF-8, gzipped with a fixed mtime (same input, same bytes)."""
    body = b"".join(orjson.dumps(record) + b"\n" for record in records)
    return gzip.compress(body, compresslevel=6, mtime=0)


def decode_object(data: bytes) -> bytes:
    """The object's text: gunzipped when it starts with the gzip magic, else as is."""
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise CorruptObjectError(f"gzip stream is corrupt or truncated: {exc}") from exc


def open_lake(url: str, *, s3_client: Any | None = None) -> Lake:
    """`s3://bucket/prefix` → S3; anything else is a local directory (created if missing).

    `s3_client` is a boto3 S3 client to use instead of a default one (timeouts, retries).
    """
    if url.startswith("s3://"):
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise LakeError(f"lake URL {url!r} has no bucket; use s3://bucket/prefix")
        return S3Lake(bucket, prefix.strip("/"), client=s3_client)
    return LocalLake(Path(url.removeprefix("file://")))


class LocalLake:
    """A directory with the S3 key layout; writes are atomic and fsync'd."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        self.url = str(self.root)

    def list(self, prefix: str) -> Iterator[LakeObject]:
        base = self.root / prefix.rstrip("/") if prefix else self.root
        if not base.is_dir():
            return
        yield from self._walk(base)

    def _walk(self, folder: Path) -> Iterator[LakeObject]:
        # Keys sort as S3 sorts them: by the full path string, so walk entries in name order.
        entries = sorted(
            os.scandir(folder),
            key=lambda entry: entry.name + ("/" if entry.is_dir(follow_symlinks=False) else ""),
        )
        for entry in entries:
            if entry.name.startswith(TEMP_PREFIX):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                stat = entry.stat()
                yield LakeObject(
                    key=Path(entry.path).relative_to(self.root).as_posix(),
                    size=stat.st_size,
                    etag=f"{stat.st_size:x}-{stat.st_mtime_ns:x}",
                    last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
                )

    def read(self, key: str) -> bytes:
        try:
            return (self.root / key).read_bytes()
        except OSError as exc:
            raise LakeError(f"cannot read {self.root / key}: {exc.strerror}") from exc

    def write(self, key: str, data: bytes) -> None:
        target = self.root / key
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}")
            with temp.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            temp.replace(target)
            directory = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            raise LakeError(f"cannot write {target}: {exc.strerror}") from exc


class S3Lake:
    """An S3 bucket and prefix. The endpoint follows boto3's AWS_ENDPOINT_URL(_S3)."""

    def __init__(self, bucket: str, prefix: str = "", client: Any | None = None) -> None:
        import boto3  # imported here so the local path never pays for botocore's start-up

        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.url = f"s3://{bucket}/{prefix}".rstrip("/")
        self.client = client or boto3.client("s3")

    def list(self, prefix: str) -> Iterator[LakeObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield LakeObject(
                        key=item["Key"].removeprefix(self.prefix),
                        size=item["Size"],
                        etag=item["ETag"].strip('"'),
                        last_modified=item["LastModified"].astimezone(UTC),
                    )
        except Exception as exc:
            raise LakeError(f"cannot list {self.url}/{prefix}: {exc}") from exc

    def read(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            return response["Body"].read()
        except Exception as exc:
            raise LakeError(f"cannot read {self.url}/{key}: {exc}") from exc

    def write(self, key: str, data: bytes) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.prefix + key,
                Body=data,
                # No Content-Encoding: HTTP clients would gunzip on download and readers
                # detect gzip by its magic bytes anyway.
                ContentType="application/x-ndjson",
            )
        except Exception as exc:
            raise LakeError(f"cannot write {self.url}/{key}: {exc}") from exc
