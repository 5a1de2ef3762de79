"""Generated lakes shared by the benchmarks, made once and cached.

`ensure_lake(10_000_000, 90)` returns the directory of a lake holding the generator's
traffic for that size, period and seed, generating it the first time (minutes for
millions of events) and reusing it afterwards. Lakes live under `bench/results/lakes/`
(gitignored). A lake is complete only once its marker file exists: the marker is written
last, so a run killed half way leaves a lake that the next call deletes and regenerates.
Two benchmarks asking for the same lake at once wait for one generation (a file lock).

The generator's settings are pinned (default ingest limits and hashing salt, not the
environment's), so a cached lake means the same thing on every machine.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from generator import GeneratorConfig, generate_to_lake
from shared.settings import EnrichmentSettings, IngestLimits

LAKES_DIR = Path(__file__).resolve().parent / "results" / "lakes"
DEFAULT_END = date(2025, 6, 8)
MARKER = "GENERATED.json"
EVENTS_PER_OBJECT = 5_000
WORKERS = 2
# Part of a lake's name: raise it whenever the generator's output changes (2: event and
# session ids are UUIDv7), so that no benchmark reuses a lake an older generator made.
GENERATOR_REVISION = 2


def lake_name(events: int, days: int, seed: int, end: date) -> str:
    return (
        f"events-{events}-days-{days}-seed-{seed}-end-{end.isoformat()}"
        f"-generator-{GENERATOR_REVISION}"
    )


def lake_config(events: int, days: int, seed: int, end: date) -> GeneratorConfig:
    return GeneratorConfig(
        seed=seed,
        days=days,
        end=end,
        events=events,
        events_per_object=EVENTS_PER_OBJECT,
        workers=WORKERS,
        limits=IngestLimits(),
        enrichment=EnrichmentSettings(),
    )


def is_complete(lake: Path) -> bool:
    return (lake / MARKER).is_file()


def lake_summary(lake: Path) -> dict[str, Any]:
    """The generator's summary of a cached lake (counts by type, lines, orders, revenue)."""
    return json.loads((lake / MARKER).read_text())


@contextmanager
def generation_lock(name: str) -> Iterator[None]:
    LAKES_DIR.mkdir(parents=True, exist_ok=True)
    with (LAKES_DIR / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_marker(lake: Path, summary: dict[str, Any]) -> None:
    temp = lake / f".{MARKER}.tmp"
    temp.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    temp.replace(lake / MARKER)


def ensure_lake(events: int, days: int, seed: int = 42, end: date = DEFAULT_END) -> Path:
    """The directory of a complete generated lake for these parameters (made if missing).

    The simulated period is the `days` UTC days before `end` (exclusive).
    """
    name = lake_name(events, days, seed, end)
    lake = LAKES_DIR / name
    if is_complete(lake):
        return lake
    with generation_lock(name):
        if is_complete(lake):  # another process finished it while we waited
            return lake
        shutil.rmtree(lake, ignore_errors=True)
        summary = generate_to_lake(str(lake), lake_config(events, days, seed, end))
        write_marker(lake, summary.as_dict())
    return lake
