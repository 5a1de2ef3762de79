"""bench/lakes.py: a cached lake is generated once, reused, and regenerated when half-written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bench import lakes

END = date(2025, 6, 8)


def lake_files(lake: Path) -> dict[str, int]:
    return {
        path.relative_to(lake).as_posix(): path.stat().st_mtime_ns
        for path in lake.rglob("*.ndjson.gz")
    }


@pytest.fixture
def lakes_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(lakes, "LAKES_DIR", tmp_path / "lakes")
    return tmp_path / "lakes"


def test_a_lake_is_generated_once_and_then_reused(lakes_dir: Path) -> None:
    lake = lakes.ensure_lake(2_000, 2, seed=7, end=END)

    revision = lakes.GENERATOR_REVISION
    assert lake == lakes_dir / f"events-2000-days-2-seed-7-end-2025-06-08-generator-{revision}"
    summary = lakes.lake_summary(lake)
    files = lake_files(lake)
    assert summary["objects_written"] == len(files) > 0
    assert any(key.startswith("raw/year=2025/month=06/day=06/") for key in files)
    assert any(key.startswith("raw/year=2025/month=06/day=07/") for key in files)

    assert lakes.ensure_lake(2_000, 2, seed=7, end=END) == lake
    assert lake_files(lake) == files  # not rewritten


def test_a_lake_without_its_marker_is_regenerated(lakes_dir: Path) -> None:
    lake = lakes.ensure_lake(2_000, 1, seed=7, end=END)
    files = lake_files(lake)
    (lake / lakes.MARKER).unlink()  # as if the generation had been killed before the end
    stray = lake / "raw" / "year=2025" / "month=06" / "day=07" / "hour=00" / "stray.ndjson.gz"
    stray.write_bytes(b"half-written")

    assert lakes.ensure_lake(2_000, 1, seed=7, end=END) == lake

    assert lakes.is_complete(lake)
    assert not stray.exists()
    assert set(lake_files(lake)) == set(files)  # same keys: the generator is deterministic
